"""One Wan2GP SessionJob driven to its end: its events as our phases and steps, its result as ours.

Wan2GP's job (shared/api.py) reports `started`, `status`, `progress` (ProgressUpdate), `error`
(GenerationError) … and always ends with one `completed` (GenerationResult) before its stream
closes. Cancel only asks: Wan2GP stops at its next step (a download is not cut short), so we keep
reading until the job has really ended; the server's GPU lock is held until then and the next job
never meets "WanGP session already has a generation in progress".
"""

from __future__ import annotations

import logging
from typing import Any

from ...common.enums import Phase
from ...common.errors import GenerationFailedError, JobCancelledError
from .base import EngineJob

log = logging.getLogger("bmd.wangp")

POLL_SECONDS = 0.1  # how soon a cancel reaches Wan2GP
GIVE_UP_SECONDS = 600.0  # after a crash of ours, how long we wait for Wan2GP's job to stop

# Wan2GP's normalised phases (WanGPSession._normalize_phase) → ours; inference* carries steps
_PHASES = {"loading_model": Phase.LOADING_MODEL, "encoding_text": Phase.ENCODING_TEXT,
           "decoding": Phase.DECODING, "downloading_output": Phase.SAVING}
_HUB_ERROR = "locate the file on the hub"


def drive(job: EngineJob, session_job: Any) -> Any:
    """Relay the Wan2GP job's events into `job` until it ends; returns its GenerationResult."""
    relay = _EventRelay(job)
    cancel_sent = False
    finished = False
    try:
        while True:
            if job.cancel_requested and not cancel_sent:
                session_job.cancel()
                cancel_sent = True
            event = session_job.events.get(timeout=POLL_SECONDS)
            if event is None:
                if session_job.events.closed:
                    break
                continue
            relay.handle(event.kind, event.data)
        finished = True
    finally:
        if not finished:  # we failed mid-way: stop Wan2GP's job too before the GPU lock is let go
            session_job.cancel()
            try:
                session_job.result(timeout=GIVE_UP_SECONDS)
            except TimeoutError:
                log.error("Wan2GP's job did not stop within %s s after a cancel", GIVE_UP_SECONDS)
    return session_job.result(timeout=GIVE_UP_SECONDS)


def raise_for_result(job: EngineJob, result: Any) -> None:
    """Our typed error for a Wan2GP result that produced no clip."""
    if job.cancel_requested or getattr(result, "cancelled", False):
        raise JobCancelledError(job.job_id)
    errors = list(getattr(result, "errors", ()) or ())
    if not result.success or not result.generated_files:
        real = [e for e in errors if not getattr(e, "cancelled", False)] or errors
        if not real:
            raise GenerationFailedError("Wan2GP finished without writing a file", stage="output", job_id=job.job_id)
        first = real[0]
        message = str(getattr(first, "message", first))
        raise GenerationFailedError(message, stage=str(getattr(first, "stage", None) or "generation"),
                                    job_id=job.job_id, hint=hint_for(message))


def hint_for(message: str) -> str:
    lowered = message.lower()
    if _HUB_ERROR in lowered or "huggingface" in lowered:
        return ("Wan2GP could not download this model's weights: the first use of a model fetches several GB "
                "into Wan2GP's ckpts folder, so connect to the internet once (or pick a model whose weights are "
                "downloaded: see the model list)")
    if "out of memory" in lowered:
        return "the GPU ran out of memory: use a smaller resolution or fewer frames, or start with --profile 4 or 5"
    if "cuda" in lowered:
        return "check the GPU driver and that Wan2GP's PyTorch is a CUDA build; the server log has details"
    return ""


class _EventRelay:
    """Turns Wan2GP events into EngineJob phases and steps, each phase change once."""

    def __init__(self, job: EngineJob) -> None:
        self.job = job
        self.phase: Phase | None = None

    def handle(self, kind: str, data: Any) -> None:
        if kind == "progress":
            self._progress(data)
        elif kind == "status":
            text = str(data or "")
            if text.lower().startswith("loading model"):
                self._enter(Phase.LOADING_MODEL, text)
            else:
                self.job.log(f"Wan2GP: {text}")
        elif kind == "output":  # a file was written
            self._enter(Phase.SAVING, "")
        elif kind == "error":
            log.warning("job %s: Wan2GP error (stage %s): %s", self.job.job_id, getattr(data, "stage", None),
                        getattr(data, "message", data))
        elif kind == "info":
            self.job.log(f"Wan2GP: {data}")
        # started, stream (already on the console), preview, refresh_models, completed: nothing to show

    def _progress(self, update: Any) -> None:
        phase = str(getattr(update, "phase", "") or "")
        step, total = getattr(update, "current_step", None), getattr(update, "total_steps", None)
        status = str(getattr(update, "status", "") or "")
        if phase.startswith("inference"):
            if step is not None and total:
                self.phase = Phase.INFERENCE
                self.job.progress_step(int(step), int(total))
            else:
                self._enter(Phase.INFERENCE, status)
        elif phase in _PHASES:
            self._enter(_PHASES[phase], status)

    def _enter(self, phase: Phase, message: str) -> None:
        if phase is self.phase:
            return
        self.phase = phase
        try:
            self.job.phase(phase, message)
        except JobCancelledError:
            pass  # cancel is handled once Wan2GP's job has ended (see drive)
