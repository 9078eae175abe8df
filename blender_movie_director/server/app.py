"""The Director server: a small Gradio app with named, versioned endpoints over one engine.

It runs in Wan2GP's own Python environment (gradio 5.29, Wan2GP's pin) and also on gradio 6.
Start it through scripts/launch_wan2gp.py; `python -m blender_movie_director.server.app
--help` lists its flags. It binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from ..common import protocol
from ..common.addresses import AUTH_VARIABLE, DEFAULT_HOST, DEFAULT_PORT, credentials_from_env, is_loopback
from ..common.enums import JobState, MediaInput, Phase
from ..common.errors import DirectorError, GenerationFailedError, JobCancelledError, ServerReplyError
from ..common.job_lookup import DEFAULT_KEEP_HOURS
from ..common.messages import API_VERSION, GenerateReply, GenerateRequest, ServerStatus
from ..common.progress import overall_progress
from ..common.version import __version__
from ..common.wan2gp_install import add_wan2gp_flags, wan2gp_cli_args
from .engines import Engine, create_engine
from .job_lookup import lookup_job
from .job_registry import JobRegistry
from .result_shelf import ResultShelf

log = logging.getLogger("bmd.server")


class DirectorService:
    """The endpoint functions, bound to one engine and one output folder."""

    def __init__(self, engine: Engine, output_dir: Path, keep_results_hours: float = DEFAULT_KEEP_HOURS) -> None:
        self.engine = engine
        self.output_dir = output_dir
        self.registry = JobRegistry()
        self.results = ResultShelf(output_dir, keep_results_hours * 3600)  # for /job_result
        self.started_at = time.time()
        self.queue_length: Callable[[], int | None] = lambda: None  # set once the gradio queue exists

    # ------------------------------------------------------------ /generate

    def generate(
        self,
        request: str,
        image_start: str | None = None,
        image_end: str | None = None,
        video_source: str | None = None,
        video_guide: str | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - gradio's injection idiom
    ) -> tuple[str, str]:
        job_id = ""
        try:
            parsed = self._parse(request)
            job_id = parsed.job_id
            model = self.engine.model(parsed.settings.model_type)
            uploads = dict(zip(protocol.MEDIA_SLOTS, (image_start, image_end, video_source, video_guide), strict=False))
            media = {MediaInput(k): Path(v) for k, v in uploads.items() if v}
            # media arrive as uploads only: never a path of the server's own disk from the request
            settings = parsed.settings.model_copy(update={m.value: media.get(m) for m in MediaInput})
            settings = settings.resolved_for(model)
            self.registry.arrive(job_id, settings.model_type)  # /job_result: waiting for the GPU
            progress(0.0, desc=Phase.QUEUED.value)
            with self.registry.gpu_lock:  # a cancelled job still finishing never overlaps this one
                try:
                    if self.registry.is_cancelled(job_id):
                        raise JobCancelledError(job_id)
                    return self._run(parsed, settings, media, progress)
                except Exception as error:
                    self._record_end(job_id, error)  # before the next job may take the GPU
                    raise
        except DirectorError as error:
            self._record_end(job_id, error)
            raise gr.Error(protocol.encode_error(error)) from None
        except Exception as error:  # an engine bug must still reach the user as a message
            self._record_end(job_id, error)
            raise gr.Error(protocol.encode_error(GenerationFailedError(repr(error), stage="server"))) from None

    def _record_end(self, job_id: str, error: Exception) -> None:
        state = JobState.CANCELLED if isinstance(error, JobCancelledError) else JobState.FAILED
        if not isinstance(error, DirectorError):
            log.error("job %s crashed", job_id or "?", exc_info=error)
        if job_id:
            self.registry.finish(job_id, state, getattr(error, "message", str(error)))

    def _parse(self, request: str) -> GenerateRequest:
        try:
            parsed = GenerateRequest.model_validate_json(request)
        except ValueError as exc:
            raise ServerReplyError(f"bad /generate request: {exc}") from None
        if parsed.api_version.split(".")[0] != API_VERSION.split(".")[0]:
            raise ServerReplyError(f"client speaks API {parsed.api_version}, server {API_VERSION}")
        return parsed

    def _run(self, request: GenerateRequest, settings, media, progress) -> tuple[str, str]:
        job_id = request.job_id
        total = settings.num_inference_steps
        job = self.engine.submit(job_id, settings, media, self.output_dir, request.simulation)
        self.registry.start(job_id, settings.model_type, total, job)
        log.info("job %s started: %s, %s frames, %s, %s steps", job_id, settings.model_type,
                 settings.video_length, settings.resolution, total)
        for event in job.events():
            if event.kind == "step":
                self.registry.step(job_id, event.step or 0)
                progress((event.step, event.total_steps), desc=Phase.INFERENCE.value, unit="steps")
            elif event.kind == "phase" and event.phase is not None:
                progress(overall_progress(event.phase), desc=event.phase.value)
            elif event.kind == "log":
                log.info("job %s: %s", job_id, event.message)
        output = job.result()
        reply = GenerateReply(
            job_id=job_id, engine=self.engine.name, seed=output.seed,
            settings=settings.without_media().model_copy(update={"seed": output.seed}),
            frames=output.frames, fps=output.fps, width=output.width, height=output.height,
            has_audio=output.has_audio, output_name=output.path.name,
            started_at=self._started(job_id), finished_at=time.time(),
        )
        self.results.keep(reply, output.path)  # before it counts as done: /job_result can always fetch it
        self.registry.finish(job_id, JobState.SUCCEEDED)
        log.info("job %s done in %.2f s: %s", job_id, reply.generation_seconds, output.path.name)
        return str(output.path), reply.model_dump_json()

    def _started(self, job_id: str) -> float:
        for record in self.registry.history():
            if record.job_id == job_id and record.started_at:
                return record.started_at
        return time.time()

    # ------------------------------------------------------------ the small endpoints

    def cancel(self, job_id: str) -> str:
        reply = self.registry.cancel(job_id)
        log.info("cancel %s: %s", job_id, reply.state.value)
        return reply.model_dump_json()

    def server_status(self) -> str:
        info = self.engine.describe()
        status = ServerStatus(
            api_version=API_VERSION, server_version=__version__, engine=self.engine.name,
            wan2gp_version=info.get("wan2gp_version"), gradio_version=gr.__version__,
            device=info.get("device", "unknown"), vram_total_gb=info.get("vram_total_gb"),
            vram_free_gb=info.get("vram_free_gb"), busy=self.registry.gpu_lock.locked(),
            current_job_id=self.registry.current_job_id, queue_length=self.queue_length(),
            uptime_seconds=time.time() - self.started_at,
        )
        return status.model_dump_json()

    def models(self) -> str:
        return json.dumps([m.model_dump(mode="json") for m in self.engine.models()])

    def model_defaults(self, model_type: str) -> str:
        return self._typed(lambda: json.dumps(self.engine.model_defaults(model_type)))

    def loras(self, model_type: str) -> str:
        return self._typed(lambda: self.engine.loras(model_type).model_dump_json())

    def jobs(self) -> str:
        return json.dumps([r.model_dump(mode="json") for r in self.registry.history()])

    def job_result(self, job_id: str) -> tuple[str | None, str]:
        return lookup_job(self.registry, self.results, job_id)

    @staticmethod
    def _typed(call) -> str:
        try:
            return call()
        except DirectorError as error:
            raise gr.Error(protocol.encode_error(error)) from None


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
        for fn, inputs in ((service.cancel, [text_in]), (service.server_status, []), (service.models, []),
                           (service.model_defaults, [text_in]), (service.loras, [text_in]),
                           (service.jobs, [])):
            trigger.click(fn, inputs, [text_out], api_name=fn.__name__, concurrency_limit=None)
        trigger.click(service.job_result, [text_in], [video, text_out], api_name=protocol.JOB_RESULT.strip("/"),
                      concurrency_limit=None)
    app.queue(default_concurrency_limit=None)
    service.queue_length = lambda: _queue_length(app)
    return app


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
    add_wan2gp_flags(parser)
    args = parser.parse_args(argv)
    if args.engine == "wangp" and args.wan2gp_dir is None:
        parser.error("--engine wangp needs --wan2gp-dir (the folder of your Wan2GP checkout)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    if not is_loopback(args.host):
        log.warning("binding %s: anyone who can reach this address can use your GPU and read outputs%s", args.host,
                    "" if os.environ.get(AUTH_VARIABLE) else " (no login set: BMD_SERVER_AUTH=user:password)")
    try:
        login = credentials_from_env()
    except DirectorError as error:
        print(f"error: {error.message}\nwhat to do: {error.hint}", file=sys.stderr, flush=True)
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
    service = DirectorService(engine, args.output_dir.resolve(), args.keep_results_hours)
    app = build_app(service)
    launch: dict[str, Any] = dict(server_name=args.host, server_port=args.port, show_error=True,
                                  ssr_mode=False, allowed_paths=[str(args.output_dir)], quiet=True,
                                  auth=login)
    accepted = inspect.signature(app.launch).parameters
    log.info("Director server %s (engine %s, gradio %s) starting on http://%s:%s", __version__,
             engine.name.value, gr.__version__, args.host, args.port)
    app.launch(**{k: v for k, v in launch.items() if k in accepted})
    return 0


if __name__ == "__main__":
    sys.exit(main())
