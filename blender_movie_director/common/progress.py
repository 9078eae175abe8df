"""One place that turns (phase, step, stage) into the overall 0–1 progress a user sees.

Same shape as Wan2GP's estimate (shared/api.py): fixed points for the phases around denoising,
denoising itself spread between them. Some models denoise more than once in a job: LTX-2's two
stages count their steps again from 0 ("Denoising First Phase" 0…8, then "Second Phase" 0…3), and
a long clip is made window by window, each window with its own count. A Stage says which pass of
which window the step belongs to, so the bar covers all of them and never goes back.

On the wire (gradio's progress description) the stage travels as words after the phase:
"inference", "inference pass 2/2", "inference window 1/3 pass 1/2" — a client that does not know
them still reads the phase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .enums import Phase

_FIXED = {
    Phase.QUEUED: 0.0,
    Phase.LOADING_MODEL: 0.05,
    Phase.ENCODING_TEXT: 0.12,
    Phase.INFERENCE: 0.15,
    Phase.DECODING: 0.88,
    Phase.SAVING: 0.92,
    Phase.DOWNLOADING: 0.97,
    Phase.DONE: 1.0,
}
_INFERENCE_SPAN = (0.15, 0.70)  # start, width: denoising fills 15 %…85 %
_STAGE_WORDS = re.compile(r"^(?P<phase>[a-z_]+)(?: window (?P<window>\d+)/(?P<windows>\d+))?"
                          r"(?: pass (?P<pass_no>\d+)/(?P<passes>\d+))?$")


@dataclass(frozen=True)
class Stage:
    """Which denoising pass of which window a step belongs to (1-based; 1/1 when there is one)."""

    pass_no: int = 1
    passes: int = 1
    window: int = 1
    windows: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "passes", max(1, self.passes, self.pass_no))
        object.__setattr__(self, "pass_no", min(max(1, self.pass_no), self.passes))
        object.__setattr__(self, "windows", max(1, self.windows, self.window))
        object.__setattr__(self, "window", min(max(1, self.window), self.windows))

    @property
    def single(self) -> bool:
        return self.passes == 1 and self.windows == 1

    def fraction(self, step: int, total: int) -> float:
        """Where this step stands in all of the job's denoising, 0–1."""
        slots = self.passes * self.windows
        done = (self.window - 1) * self.passes + (self.pass_no - 1)
        within = min(max(step, 0), total) / total if total else 0.0
        return (done + within) / slots

    @property
    def label(self) -> str:
        """For people: "pass 2/2", "window 1/3, pass 1/2", "" for a plain job."""
        parts = [f"window {self.window}/{self.windows}"] if self.windows > 1 else []
        parts += [f"pass {self.pass_no}/{self.passes}"] if self.passes > 1 else []
        return ", ".join(parts)


def overall_progress(phase: Phase, step: int | None = None, total: int | None = None,
                     stage: Stage | None = None) -> float:
    if phase is Phase.INFERENCE and step is not None and total:
        start, span = _INFERENCE_SPAN
        return start + span * (stage or Stage()).fraction(step, total)
    return _FIXED[phase]


def inference_end() -> float:
    """Where denoising ends on the bar (an ETA measures how far there is still to go to here)."""
    start, span = _INFERENCE_SPAN
    return start + span


def encode_desc(phase: Phase, stage: Stage | None = None) -> str:
    """The progress description the server sends: the phase, then the stage when there is more than one."""
    if stage is None or stage.single:
        return phase.value
    words = [phase.value]
    if stage.windows > 1:
        words.append(f"window {stage.window}/{stage.windows}")
    if stage.passes > 1:
        words.append(f"pass {stage.pass_no}/{stage.passes}")
    return " ".join(words)


def decode_desc(desc: str | None) -> tuple[Phase | None, Stage | None]:
    """(phase, stage) from a progress description; (None, None) for words this client does not know."""
    match = _STAGE_WORDS.match(str(desc or "").strip())
    if match is None:
        return None, None
    try:
        phase = Phase(match["phase"])
    except ValueError:
        return None, None
    if match["window"] is None and match["pass_no"] is None:
        return phase, None
    return phase, Stage(pass_no=int(match["pass_no"] or 1), passes=int(match["passes"] or 1),
                        window=int(match["window"] or 1), windows=int(match["windows"] or 1))
