"""/finish: upscale, smooth or give sound to a clip the client uploads. A job like a generation.

The request is a generate request (common/messages.py GenerateRequest) whose settings carry a
`finish` spec (common/finishing.py) and describe the clip being finished; the clip travels as the one
upload. The job shares the server's GPU lock, registry (so /cancel, /jobs and /job_result know it) and
result shelf with /generate, reports the same progress, and replies like /generate: the file and a
GenerateReply describing it. The engine's finisher does the work: Wan2GP's late post-processing
(engines/wangp_finish.py) or the simulated one (engines/simulated_finish.py).
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from ..common import protocol
from ..common.enums import EngineName, JobState, MediaInput, Phase
from ..common.errors import (
    DirectorError,
    GenerationFailedError,
    InvalidRequestError,
    InvalidSettingsError,
    JobCancelledError,
)
from ..common.messages import GenerateReply, GenerateRequest
from ..common.progress import encode_desc, overall_progress
from ..common.settings import GenerationSettings, SimulationOptions
from .engines import EngineJob
from .engines.media_probe import IMAGE_SUFFIXES
from .logs import one_line, refusals
from .ownership import client_of
from .uploads import check_upload
from .validation import check_test_controls, parse_generate_request

log = logging.getLogger("bmd.server")


class Finisher(Protocol):
    def submit(self, job_id: str, settings: GenerationSettings, source: Path, output_dir: Path,
               simulation: SimulationOptions | None) -> EngineJob: ...


def finisher_for(engine: Any) -> Finisher:
    """The engine's way of finishing clips."""
    if engine.name is EngineName.WANGP:
        from .engines.wangp_finish import WanGPFinisher

        return WanGPFinisher(engine)
    from .engines.simulated_finish import SimulatedFinisher

    return SimulatedFinisher(getattr(engine, "step_seconds", 0.05), getattr(engine, "load_seconds", 0.3))


class FinishService:
    """/finish, bound to the app's DirectorService (its engine, registry, results, uploads and limits)."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.finisher = finisher_for(service.engine)

    def finish(self, request: str, source: str | None = None,
               progress: gr.Progress = gr.Progress(),  # noqa: B008 - gradio's injection idiom
               caller: gr.Request | None = None) -> tuple[str, str]:
        service = self.service
        job_id, claimed, holder = "", False, uuid.uuid4().hex
        try:
            owner = client_of(caller)
            parsed = check_finish_request(parse_generate_request(request))
            check_test_controls(parsed, service.allow_test_controls)
            clip = self._source(source)
            service.uploads.hold(holder, [clip])
            service.registry.claim(parsed.job_id, owner)
            job_id, claimed = parsed.job_id, True
            operation = parsed.settings.finish.operation.value if parsed.settings.finish else "finish"
            service.registry.arrive(job_id, operation)
            progress(0.0, desc=Phase.QUEUED.value)
            with service.registry.gpu_lock:
                try:
                    if service.registry.is_cancelled(job_id):
                        raise JobCancelledError(job_id)
                    return self._run(parsed, clip, operation, owner, progress)
                except Exception as error:
                    service._record_end(job_id, error)
                    claimed = False
                    raise
        except DirectorError as error:
            if claimed:
                service._record_end(job_id, error)
            elif not job_id:
                refusals.info("finish refused: %s", one_line(str(error)))
            raise gr.Error(protocol.encode_error(error), print_exception=False) from None
        except Exception as error:
            if claimed or not job_id:
                service._record_end(job_id, error)
            raise gr.Error(protocol.encode_error(GenerationFailedError(repr(error)[:300], stage="server")),
                           print_exception=False) from None
        finally:
            service.uploads.release(holder)

    def _source(self, value: Any) -> Path:
        if value is None or value == "":
            raise InvalidSettingsError("finish.source", "no clip was uploaded", hint="send the clip to finish")
        if not isinstance(value, str):
            raise InvalidRequestError("finish.source", "must be an uploaded file")
        path = Path(value)
        slot = MediaInput.IMAGE_START if path.suffix.lower() in IMAGE_SUFFIXES else MediaInput.VIDEO_SOURCE
        try:
            check_upload(slot, path, self.service.limits, self.service.upload_root)
        except InvalidSettingsError as error:
            raise InvalidSettingsError("finish.source", error.message.removeprefix(f"{slot.value}: "),
                                       hint=error.hint) from None
        return path

    def _run(self, request: GenerateRequest, clip: Path, operation: str, owner: str, progress: Any) -> tuple[str, str]:
        service = self.service
        job_id, settings = request.job_id, request.settings
        job = self.finisher.submit(job_id, settings, clip, service.output_dir, request.simulation)
        service.registry.start(job_id, operation, 0, job)
        log.info("job %s started: %s of %s", job_id, operation, settings.finish.source_name if settings.finish else "?")
        for event in job.events():
            if event.kind == "step":
                service.registry.step(job_id, event.step or 0)
                progress((event.step, event.total_steps), desc=encode_desc(Phase.INFERENCE, event.stage), unit="steps")
            elif event.kind == "phase" and event.phase is not None:
                progress(overall_progress(event.phase), desc=event.phase.value)
            elif event.kind == "log":
                log.info("job %s: %s", job_id, event.message)
        output = job.result()
        reply = GenerateReply(
            job_id=job_id, engine=service.engine.name, seed=output.seed,
            settings=settings.without_media().model_copy(update={"seed": output.seed}),
            frames=output.frames, fps=output.fps, width=output.width, height=output.height,
            has_audio=output.has_audio, output_name=output.path.name,
            started_at=service._started(job_id), finished_at=time.time())
        service.results.keep(reply, output.path, owner)
        service.registry.finish(job_id, JobState.SUCCEEDED)
        log.info("job %s done: %s → %s", job_id, operation, output.path.name)
        return str(output.path), reply.model_dump_json()


def check_finish_request(request: GenerateRequest) -> GenerateRequest:
    """A finish request names what to do and carries no path: the clip is the upload."""
    settings = request.settings
    if settings.finish is None:
        raise InvalidSettingsError("finish", "a finish request says what to do (upscale, smooth, add_sound)",
                                   hint="use Wan2GPClient.submit() with settings that carry a finish spec")
    if settings.finish.source is not None or settings.reference_images() or settings.media():
        raise InvalidSettingsError("finish.source", "a path in the request is refused: the clip goes as the upload",
                                   hint="Wan2GPClient.submit() uploads the clip you name")
    return request


def register(service: Any, trigger: Any, text_in: Any, video: Any, text_out: Any) -> gr.File:
    """Add /finish to the app: the request, the clip, on the GPU's queue (one job at a time with /generate)."""
    finisher = FinishService(service)
    source = gr.File(visible=False, label="finish_source", type="filepath")
    trigger.click(finisher.finish, [text_in, source], [video, text_out], api_name=protocol.FINISH.strip("/"),
                  concurrency_limit=1, concurrency_id="gpu")
    return source
