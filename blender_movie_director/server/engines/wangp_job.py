"""One Wan2GP SessionJob driven to its end: its events as our phases and steps, its result as ours.

Wan2GP's job (shared/api.py) reports `started`, `status`, `progress` (ProgressUpdate), `error`
(GenerationError) … and always ends with one `completed` (GenerationResult) before its stream
closes. Cancel only asks: Wan2GP stops at its next step (a download is not cut short), so we keep
reading until the job has really ended; the server's GPU lock is held until then and the next job
never meets "WanGP session already has a generation in progress".
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ...common import hints
from ...common.enums import MediaInput, Phase
from ...common.errors import GenerationFailedError, JobCancelledError
from ...common.progress import Stage
from .base import EngineJob

log = logging.getLogger("bmd.wangp")

POLL_SECONDS = 0.1  # how soon a cancel reaches Wan2GP
GIVE_UP_SECONDS = 600.0  # after a crash of ours, how long we wait for Wan2GP's job to stop

# Wan2GP's normalised phases (WanGPSession._normalize_phase) → ours; inference* carries steps
_PHASES = {"loading_model": Phase.LOADING_MODEL, "encoding_text": Phase.ENCODING_TEXT,
           "decoding": Phase.DECODING, "downloading_output": Phase.SAVING}
_HUB_ERROR = "locate the file on the hub"
# the pass a step belongs to, as wgp.py's callback words it ("Denoising First Phase") or as shared/api.py
# looks for it ("denoising first pass"); and the window of a long clip ("Sliding Window 2/3")
_PASS = re.compile(r"denoising (first|second|third|fourth|1st|2nd|3rd|4th|(\d+)th) (?:phase|pass)", re.I)
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_WINDOW = re.compile(r"sliding window (\d+)\s*/\s*(\d+)", re.I)


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
        stage = str(getattr(first, "stage", None) or "generation")
        raise GenerationFailedError(message, stage=stage, job_id=job.job_id, hint=hint_for(message, stage))


# Wan2GP's words (wgp.py validate_task and the errors a generation ends with) → what the user can do.
# The one table from Wan2GP error text to hint; the first row whose words all appear wins.
_MISSING = "you must provide"
_HINTS: tuple[tuple[tuple[str, ...], MediaInput | str], ...] = (
    ((_MISSING, "start image"), MediaInput.IMAGE_START),
    ((_MISSING, "end image"), MediaInput.IMAGE_END),
    ((_MISSING, "reference image"), MediaInput.IMAGE_REFS),
    ((_MISSING, "image reference"), MediaInput.IMAGE_REFS),
    ((_MISSING, "control image"), MediaInput.IMAGE_GUIDE),
    ((_MISSING, "control video"), MediaInput.VIDEO_GUIDE),
    ((_MISSING, "image mask"), MediaInput.IMAGE_MASK),
    ((_MISSING, "video mask"), MediaInput.VIDEO_MASK),
    ((_MISSING, "source video"), MediaInput.VIDEO_SOURCE),
    ((_MISSING, "audio source"), MediaInput.AUDIO_GUIDE),
    (("doesn't accept",), "this model does not take that input: remove it, or pick a model that takes it (the "
                          "model list says what each takes), then queue the shot again"),
    (("sliding windows with a text to video model",),
     "a text-to-video model makes one window at a time: ask for fewer frames (one window), or use a model that "
     "continues a video"),
    ((_HUB_ERROR,), "Wan2GP could not download this model's weights: the first use of a model fetches several GB "
                    "into Wan2GP's ckpts folder, so connect to the internet once (or pick a model whose weights "
                    "are downloaded: see the model list)"),
    (("huggingface",), "Wan2GP could not download this model's weights: connect to the internet once, or pick a "
                       "model whose weights are downloaded (see the model list)"),
    (("out of memory",), "the GPU ran out of memory: use a smaller resolution or fewer frames, or start with "
                         "--profile 4 or 5"),
    (("cuda",), "check the GPU driver and that Wan2GP's PyTorch is a CUDA build; the server log has details"),
)
_REFUSED = ("Wan2GP refused these settings for this model: change what its message names, then queue the shot "
            "again")


def hint_for(message: str, stage: str = "") -> str:
    """What to do about a Wan2GP error: from the table above, else for a refusal (stage "validation")
    a general word, never "press Retry"; "" when nothing better than the default hint is known."""
    lowered = message.lower()
    for words, answer in _HINTS:
        if all(word in lowered for word in words):
            if isinstance(answer, MediaInput):
                return f"add {answer.label}: {hints.input_hint_everywhere(answer)}"
            return answer
    return _REFUSED if stage == "validation" else ""


class _EventRelay:
    """Turns Wan2GP events into EngineJob phases and steps, each phase change once.

    Steps carry their Stage: the pass (LTX-2's "Denoising First Phase", "Second Phase", whose step
    count starts again at 0, or a count that starts again without a word) and the sliding window
    ("Sliding Window 2/3"). The "VAE Decoding" Wan2GP shows on the last step of every pass is the end
    of that pass, not the job's decoding, unless it is the last pass of the last window.
    """

    def __init__(self, job: EngineJob) -> None:
        self.job = job
        self.phase: Phase | None = None
        self.pass_no, self.passes, self.window, self.windows = 1, 1, 1, 1
        self.last_step: int | None = None

    def handle(self, kind: str, data: Any) -> None:
        if kind == "progress":
            self._progress(data)
        elif kind == "started":  # Wan2GP prepares the task (~0.75 s recorded) before it says "Loading model"
            self._enter(Phase.LOADING_MODEL, "Wan2GP is preparing the job")
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
        # stream (already on the console), preview, refresh_models, completed: nothing to show

    def _progress(self, update: Any) -> None:
        phase = str(getattr(update, "phase", "") or "")
        step, total = getattr(update, "current_step", None), getattr(update, "total_steps", None)
        status = str(getattr(update, "status", "") or "")
        self._follow_stage(phase, status, str(getattr(update, "raw_phase", "") or ""), step)
        counted = step is not None and total is not None and int(total) > 0
        end_of_a_pass = phase == "decoding" and counted and (self.pass_no < self.passes or self.window < self.windows)
        if phase.startswith("inference") or end_of_a_pass:
            if step is not None and total is not None and counted:
                self.phase = Phase.INFERENCE
                self.last_step = int(step)
                self.job.progress_step(int(step), int(total), Stage(self.pass_no, self.passes, self.window,
                                                                    self.windows))
            else:
                self._enter(Phase.INFERENCE, status)
        elif phase in _PHASES:
            self._enter(_PHASES[phase], status)

    def _follow_stage(self, phase: str, status: str, raw: str, step: Any) -> None:
        window = _WINDOW.search(status)
        if window is not None:
            number, count = int(window[1]), int(window[2])
            self.windows = max(self.windows, count)
            if number != self.window:
                self.window, self.pass_no, self.last_step = number, 1, None
        labelled = int(phase.rsplit("_", 1)[1]) if phase.startswith("inference_stage_") else _pass_of(status)
        if labelled is None and not re.search(r"denoising|decoding", status, re.I):
            labelled = _pass_of(raw)  # the status says nothing of the pass (it may lag the step it carries)
        if labelled is not None:
            if labelled != self.pass_no:
                self.pass_no, self.last_step = labelled, None
            self.passes = max(self.passes, labelled, 2)  # a numbered pass is one of several
        elif phase.startswith("inference") and isinstance(step, int) and self.last_step is not None \
                and step < self.last_step:
            self.pass_no += 1  # the count started again without a word: another pass
            self.passes = max(self.passes, self.pass_no)
            self.last_step = None

    def _enter(self, phase: Phase, message: str) -> None:
        if phase is self.phase:
            return
        self.phase = phase
        try:
            self.job.phase(phase, message)
        except JobCancelledError:
            pass  # cancel is handled once Wan2GP's job has ended (see drive)


def _pass_of(text: str) -> int | None:
    found = _PASS.search(text)
    if found is None:
        return None
    return int(found[2]) if found[2] else _ORDINALS[found[1].lower()]
