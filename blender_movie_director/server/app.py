"""The Director server: a small Gradio app with named, versioned endpoints over one engine.

It runs in Wan2GP's own Python environment (gradio 5.29, Wan2GP's pin) and also on gradio 6.
Start it through scripts/launch_wan2gp.py; `python -m blender_movie_director.server.app
--help` lists its flags. It binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from ..common import protocol
from ..common.addresses import DEFAULT_HOST, DEFAULT_PORT, credentials_from_env, exposure
from ..common.enums import MediaInput
from ..common.errors import DirectorError, InvalidRequestError
from ..common.job_lookup import DEFAULT_KEEP_HOURS
from ..common.messages import API_VERSION
from ..common.version import __version__
from ..common.wan2gp_install import add_wan2gp_flags, wan2gp_cli_args
from . import admission, finishing, references, temp_folder
from .admission import Admission, AdmissionMiddleware
from .cleanup import Janitor, remove_tree
from .engines import Engine, EngineJob, create_engine
from .gpu_job import Admitted
from .gradio_state import GradioPruner
from .job_registry import JobRegistry
from .job_runner import JobRunner
from .logs import quiet_gradio_tracebacks
from .request_guard import RequestGuardMiddleware
from .result_shelf import ResultShelf
from .small_endpoints import SmallEndpoints
from .uploads import MediaLimits, UploadBook, check_upload, pending_upload_paths
from .validation import check_test_controls, parse_generate_request, resolve_settings

log = logging.getLogger("bmd.server")


class DirectorService:
    """The server's state (one engine, one output folder, its registry, results and uploads) and
    /generate; the GPU job's path is JobRunner's, the small endpoints are SmallEndpoints'."""

    def __init__(self, engine: Engine, output_dir: Path, keep_results_hours: float = DEFAULT_KEEP_HOURS) -> None:
        self.engine = engine
        self.output_dir = output_dir
        self.registry = JobRegistry()
        self.results = ResultShelf(output_dir, keep_results_hours * 3600)  # for /job_result
        self.started_at = time.time()
        self.queue_length: Callable[[], int | None] = lambda: None  # set once the gradio queue exists
        self.limits = MediaLimits()  # what uploads may be (main() sets the server's options)
        self.allow_test_controls = False  # `simulation` in requests: only on a server started for tests
        self.upload_root: Path | None = None  # gradio's upload folder (build_app sets it)
        self.uploads = UploadBook(Path(tempfile.gettempdir()))  # build_app binds it to gradio's folder and queue
        self.runner = JobRunner(self)  # the GPU job's path
        self.endpoints = SmallEndpoints(self)  # /cancel, /server_status, /models, /jobs, /job_result ...

    # ------------------------------------------------------------ /generate

    def generate(
        self,
        request: str,
        image_start: str | None = None,
        image_end: str | None = None,
        video_source: str | None = None,
        video_guide: str | None = None,
        image_refs: str | None = None,
        video_mask: str | None = None,
        image_guide: str | None = None,
        image_mask: str | None = None,
        audio_guide: str | None = None,
        image_refs_more: list[str] | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - gradio's injection idiom
        caller: gr.Request | None = None,
    ) -> tuple[str, str]:
        def admit(holder: str) -> Admitted:
            # every check before the job may take the GPU: the request, the settings against the model
            # (client's rules), then each upload opened and probed for its slot
            parsed = parse_generate_request(request)
            check_test_controls(parsed, self.allow_test_controls)
            media = self._media(image_start, image_end, video_source, video_guide, image_refs, video_mask,
                                image_guide, image_mask, audio_guide)
            more = references.uploads_of(image_refs_more, parsed)  # further reference images (a cast)
            self.uploads.hold(holder, [*media.values(), *more])  # deleted when this call ends, whatever happens
            settings = resolve_settings(references.attach(parsed, more), self.engine, media)
            for slot, path in media.items():
                check_upload(slot, path, self.limits, self.upload_root)
            references.check(more, self.limits, self.upload_root)

            def start(job_id: str) -> EngineJob:
                job = self.engine.submit(job_id, settings, media, self.output_dir, parsed.simulation)
                self.registry.start(job_id, settings.model_type, settings.num_inference_steps or 0, job)
                log.info("job %s started: %s, %s frames, %s, %s steps", job_id, settings.model_type,
                         settings.video_length, settings.resolution, settings.num_inference_steps)
                return job

            return Admitted(parsed.job_id, settings, settings.model_type, start)

        return self.submitted("generate", admit, caller, progress)

    def submitted(self, endpoint: str, admit: Callable[[str], Admitted], caller: gr.Request | None,
                  progress: Any) -> tuple[str, str]:
        """The one path of a GPU job (server/job_runner.py), for /generate, /generate_refs and /finish."""
        return self.runner.submitted(endpoint, admit, caller, progress)

    @staticmethod
    def _media(*uploads: Any) -> dict[MediaInput, Path]:
        """The uploads by slot. Media arrive as uploads only, never as a path of the server's disk."""
        media = {}
        for slot, value in zip(protocol.MEDIA_SLOTS, uploads, strict=True):
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise InvalidRequestError(slot, "must be an uploaded file")
            media[MediaInput(slot)] = Path(value)
        return media


def build_app(service: DirectorService) -> gr.Blocks:
    """The Blocks app. Components are hidden: this is an API, the page only says what it is."""
    with gr.Blocks(title="Blender Movie Director server", analytics_enabled=False) as app:
        gr.Markdown(
            f"## Blender Movie Director server\nEngine: **{service.engine.name.value}** · API {API_VERSION}. "
            "Drive it from Blender's Director panel or `python -m blender_movie_director`."
        )
        text_in = gr.Textbox(visible=False, label="in")
        text_out = gr.Textbox(visible=False, label="out")
        slots = [gr.File(visible=False, label=name, type="filepath") for name in protocol.MEDIA_SLOTS]
        video = gr.File(visible=False, label="video")
        trigger = gr.Button(visible=False)
        # one GPU job at a time: gradio's queue shows rank, size and ETA to waiting clients
        trigger.click(service.generate, [text_in, *slots], [video, text_out],
                      api_name=protocol.GENERATE.strip("/"), concurrency_limit=1, concurrency_id="gpu")
        references.register(service, trigger, text_in, slots, video, text_out)  # /generate_refs: a cast of several
        finishing.register(service, trigger, text_in, video, text_out)  # /finish, on the same GPU queue
        endpoints = service.endpoints
        for fn, inputs in ((endpoints.cancel, [text_in]), (endpoints.models, []),
                           (endpoints.model_defaults, [text_in]), (endpoints.loras, [text_in]),
                           (endpoints.jobs, [])):
            trigger.click(fn, inputs, [text_out], api_name=fn.__name__, concurrency_limit=None)
        # unqueued: a client's connect reads it with one plain POST /gradio_api/run/server_status instead of
        # a queued call (which gradio_client collects in 50 ms polls)
        trigger.click(endpoints.server_status, [], [text_out], api_name="server_status", concurrency_limit=None,
                      queue=False)
        trigger.click(endpoints.job_result, [text_in], [video, text_out], api_name=protocol.JOB_RESULT.strip("/"),
                      concurrency_limit=None)
    # api_open=False (gradio 5 and 6 spell it alike): a plain POST /gradio_api/run/<endpoint> of a queued
    # endpoint would skip the queue and the GPU's concurrency limit; only the unqueued /server_status answers it
    app.queue(default_concurrency_limit=None, api_open=False)
    wake_the_queue_promptly(app)
    service.queue_length = lambda: _queue_length(app)
    from gradio.utils import get_upload_folder

    service.upload_root = Path(get_upload_folder()).resolve()
    service.uploads = UploadBook(service.upload_root, pending=lambda: pending_upload_paths(app),
                                 forget=lambda path: _forget_upload(app, path))
    quiet_gradio_tracebacks()
    return app


def wake_the_queue_promptly(app: gr.Blocks) -> None:
    """gradio 5's queue looks for new jobs every 50 ms and for progress every 100 ms while idle: a job
    waited 25 ms on average before it started. gradio 6 looks every 1 ms and 10 ms (not on Windows,
    whose sleeps are 15 ms coarse): the same here, whatever gradio this is."""
    queue = getattr(app, "_queue", None)
    if queue is None or platform.system() == "Windows":
        return
    queue.sleep_when_free = min(getattr(queue, "sleep_when_free", 0.001), 0.001)
    queue.progress_update_sleep_when_free = min(getattr(queue, "progress_update_sleep_when_free", 0.01), 0.01)


def _forget_upload(app: gr.Blocks, path: str) -> None:
    """gradio remembers every upload's path in a set that only grows: drop a deleted one."""
    try:
        app.upload_file_set.discard(path)
    except (AttributeError, TypeError):
        pass


def _queue_length(app: gr.Blocks) -> int | None:
    try:
        return len(app._queue)  # private in gradio 5 and 6 alike; best effort
    except (AttributeError, TypeError):
        return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="director-server", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="simulated", choices=["simulated", "wangp"])
    parser.add_argument("--host", default=DEFAULT_HOST, help="bind address (default loopback only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--output-dir", type=Path, default=Path.cwd() / "director_outputs")
    parser.add_argument("--step-seconds", type=float, default=None, help="simulated engine: seconds per step")
    parser.add_argument("--keep-results-hours", type=float, default=DEFAULT_KEEP_HOURS,
                        help="how long finished clips stay fetchable by /job_result (default %(default)g)")
    parser.add_argument("--wan2gp-dir", type=Path, default=None, help="wangp engine: the Wan2GP checkout")
    limits = MediaLimits()
    parser.add_argument("--max-upload-mb", type=float, default=limits.max_bytes / 1024**2,
                        help="the biggest media file a request may upload (default %(default)g)")
    parser.add_argument("--max-media-megapixels", type=float, default=limits.max_pixels / 1e6,
                        help="the most pixels of an uploaded image or video frame (default %(default)g)")
    parser.add_argument("--max-video-seconds", type=float, default=limits.max_video_seconds,
                        help="the longest uploaded video (default %(default)g)")
    parser.add_argument("--client-burst", type=int, default=admission.BURST,
                        help="queued calls one client may make at once (default %(default)s); HTTP 429 beyond")
    parser.add_argument("--client-rate", type=float, default=admission.RATE,
                        help="queued calls a second one client may make after its burst (default %(default)g)")
    parser.add_argument("--allow-test-controls", action="store_true",
                        help="for test suites only: requests may inject faults and set the pace (`simulation`)")
    parser.add_argument("--insecure-no-login", action="store_true",
                        help="bind a non-loopback address without a login (anyone who reaches it can use it)")
    add_wan2gp_flags(parser)
    args = parser.parse_args(argv)
    if args.engine == "wangp" and args.wan2gp_dir is None:
        parser.error("--engine wangp needs --wan2gp-dir (the folder of your Wan2GP checkout)")
    return args


FILE_CHUNK_BYTES = 1 << 20


def main(argv: list[str] | None = None) -> int:
    from starlette.middleware import Middleware
    from starlette.responses import FileResponse

    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        login = credentials_from_env()
    except DirectorError as error:
        print(f"error: {error.message}\nwhat to do: {error.hint}", file=sys.stderr, flush=True)
        return 2
    bind = exposure(args.host, login is not None, args.insecure_no_login)
    if bind is not None:  # printed, not logged: no setting silences it
        refused, message = bind
        print(f"error: {message}" if refused else message, file=sys.stderr, flush=True)
        if refused:
            return 2
    options: dict[str, Any] = {}
    if args.step_seconds is not None:
        options["step_seconds"] = args.step_seconds
    if args.engine == "wangp":
        options = {"wan2gp_dir": args.wan2gp_dir, "output_dir": args.output_dir, "cli_args": wan2gp_cli_args(args)}
    try:
        engine = create_engine(args.engine, **options)
    except DirectorError as error:  # e.g. a Wan2GP too old or failing to start: say so and exit
        log.error("%s", error.message)
        print(f"error: {error.message}\nwhat to do: {error.hint}", file=sys.stderr, flush=True)
        return 3
    args.output_dir.mkdir(parents=True, exist_ok=True)
    # gradio's uploads and served copies go to a folder of this server's own, swept by the janitor
    temp_dir = temp_folder.create()
    os.environ["GRADIO_TEMP_DIR"] = str(temp_dir)
    log.info("uploads and gradio's copies of outputs go to %s (deleted at exit)", temp_dir)
    temp_folder.exit_on_stop_signals(lambda: remove_tree(temp_dir))
    service = DirectorService(engine, args.output_dir.resolve(), args.keep_results_hours)
    service.limits = MediaLimits(max_bytes=int(args.max_upload_mb * 1024**2),
                                 max_pixels=int(args.max_media_megapixels * 1e6),
                                 max_video_seconds=args.max_video_seconds)
    service.allow_test_controls = args.allow_test_controls
    if args.allow_test_controls:
        log.warning("test controls on: requests may inject faults and set the pace (for test suites only)")
    app = build_app(service)
    # gradio serves clips through Starlette's FileResponse: 64 KB per file read (a thread hop each) and
    # per send. In 1 MB pieces a 500 MB clip's download is about twice as fast (make bench: download).
    FileResponse.chunk_size = FILE_CHUNK_BYTES
    janitor = Janitor(args.output_dir.resolve(), temp_dir, args.keep_results_hours * 3600,
                      in_use=service.uploads.in_use, pending=lambda: pending_upload_paths(app)).start()
    pruner = GradioPruner(app).start()  # gradio 5.29 keeps every call's request otherwise
    launch: dict[str, Any] = dict(server_name=args.host, server_port=args.port, show_error=True,
                                  ssr_mode=False, allowed_paths=[str(args.output_dir)], quiet=True,
                                  auth=login, max_file_size=service.limits.max_bytes,
                                  app_kwargs={"middleware": [  # outermost first: admission reads no body
                                      Middleware(AdmissionMiddleware, admission=Admission(
                                          burst=args.client_burst, rate=args.client_rate)),
                                      Middleware(RequestGuardMiddleware, blocks=app, upload_root=temp_dir,
                                                 max_bytes=service.limits.max_bytes)]})
    accepted = inspect.signature(app.launch).parameters
    log.info("Director server %s (engine %s, gradio %s) starting on http://%s:%s", __version__,
             engine.name.value, gr.__version__, args.host, args.port)
    try:
        app.launch(**{k: v for k, v in launch.items() if k in accepted})
    finally:
        janitor.stop()
        pruner.stop()
        remove_tree(temp_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
