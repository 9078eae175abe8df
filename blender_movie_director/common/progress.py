"""One place that turns (phase, step) into the overall 0–1 progress a user sees.

Same shape as Wan2GP's estimate (shared/api.py): fixed points for the phases around denoising,
denoising itself spread between them.
"""

from __future__ import annotations

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


def overall_progress(phase: Phase, step: int | None = None, total: int | None = None) -> float:
    if phase is Phase.INFERENCE and step is not None and total:
        start, span = _INFERENCE_SPAN
        return start + span * min(step, total) / total
    return _FIXED[phase]
