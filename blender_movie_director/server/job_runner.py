"""The one path of a GPU job on the Director server (/generate, /generate_refs, /finish): who asks,
the job's checks, its claim by its owner, its run under the GPU lock with its progress passed on, its
clip kept for /job_result, and one log line and registry entry for a job that does not finish."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from ..common import protocol
from ..common.enums import JobState, Phase
from ..common.errors import DirectorError, GenerationFailedError, JobCancelledError
from ..common.messages import GenerateReply
from ..common.progress import encode_desc, overall_progress
from .gpu_job import Admitted
from .logs import one_line, refusals
from .ownership import client_of
from .service_parts import ServiceParts

log = logging.getLogger("bmd.server")


class JobRunner:
    def __init__(self, service: ServiceParts) -> None:
        self.service = service

    def submitted(self, endpoint: str, admit: Callable[[str], Admitted], caller: gr.Request | None,
                  progress: Any) -> tuple[str, str]:
        """The one path of a GPU job (/generate, /generate_refs, /finish): who asks, `admit`'s checks
        (its uploads held under the call's own key until the call ends), the job claimed by its
        owner, then run under the GPU lock and followed to its reply. Every refusal and failure goes
        back as a typed error, and a job that does not finish is recorded before the next may start."""
        job_id, claimed, holder = "", False, uuid.uuid4().hex
        try:
            owner = client_of(caller)
            admitted = admit(holder)
            self.service.registry.claim(admitted.job_id, owner)
            job_id, claimed = admitted.job_id, True
            self.service.registry.arrive(job_id, admitted.label)  # /job_result: waiting for the GPU
            progress(0.0, desc=Phase.QUEUED.value)
            with self.service.registry.gpu_lock:  # a cancelled job still finishing never overlaps this one
                try:
                    if self.service.registry.is_cancelled(job_id):
                        raise JobCancelledError(job_id)
                    return self._follow(job_id, admitted, owner, progress)
                except Exception as error:
                    self._record_end(job_id, error)  # before the next job may take the GPU
                    claimed = False  # recorded
                    raise
        except DirectorError as error:
            if claimed:
                self._record_end(job_id, error)
            elif not job_id:
                refusals.info("%s refused: %s", endpoint, one_line(str(error)))
            raise gr.Error(protocol.encode_error(error), print_exception=False) from None
        except Exception as error:  # an engine bug must still reach the user as a message
            if claimed or not job_id:
                self._record_end(job_id, error)
            raise gr.Error(protocol.encode_error(GenerationFailedError(repr(error)[:300], stage="server")),
                           print_exception=False) from None
        finally:
            self.service.uploads.release(holder)

    def _record_end(self, job_id: str, error: Exception) -> None:
        """One log line per job that did not finish (a traceback only for a real server bug)."""
        state = JobState.CANCELLED if isinstance(error, JobCancelledError) else JobState.FAILED
        message = getattr(error, "message", str(error))
        if not isinstance(error, DirectorError):
            log.error("job %s crashed", job_id or "?", exc_info=error)
        elif state is JobState.CANCELLED:
            log.info("job %s cancelled", job_id)
        else:
            log.warning("job %s failed: %s", job_id, one_line(message))
        if job_id:
            self.service.registry.finish(job_id, state, message)

    def _follow(self, job_id: str, admitted: Admitted, owner: str, progress: Any) -> tuple[str, str]:
        """Start the engine's job, pass its progress on, keep its output for /job_result and reply."""
        job = admitted.start(job_id)
        for event in job.events():
            if event.kind == "step":
                self.service.registry.step(job_id, event.step or 0)
                # the pass and window ride in the description: a step count that starts again is not a step back
                progress((event.step, event.total_steps), desc=encode_desc(Phase.INFERENCE, event.stage), unit="steps")
            elif event.kind == "phase" and event.phase is not None:
                progress(overall_progress(event.phase), desc=event.phase.value)
            elif event.kind == "log":
                log.info("job %s: %s", job_id, event.message)
        output = job.result()
        settings = admitted.settings
        reply = GenerateReply(
            job_id=job_id, engine=self.service.engine.name, seed=output.seed,
            settings=settings.without_media().model_copy(update={"seed": output.seed}),
            frames=output.frames, fps=output.fps, width=output.width, height=output.height,
            has_audio=output.has_audio, output_name=output.path.name,
            started_at=self._started(job_id), finished_at=time.time(),
        )
        self.service.results.keep(reply, output.path, owner)  # before it counts as done
        self.service.registry.finish(job_id, JobState.SUCCEEDED)
        log.info("job %s done in %.2f s: %s", job_id, reply.generation_seconds, output.path.name)
        return str(self._served(output.path, job_id)), reply.model_dump_json()

    def _served(self, path: Path, job_id: str) -> Path:
        """The clip as gradio hands it out: a hard link in gradio's own folder where that is on the same
        disk, else the clip itself (which gradio then hashes and copies whole before it answers: about
        a second per 500 MB)."""
        if self.service.upload_root is None:
            return path
        link = self.service.upload_root / "bmd-outputs" / job_id / path.name
        try:
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, link)
        except OSError:
            return path
        return link

    def _started(self, job_id: str) -> float:
        for record in self.service.registry.history():
            if record.job_id == job_id and record.started_at:
                return record.started_at
        return time.time()
