"""A clip's duration in seconds turned into frames, checked: finite, positive, within what the model
makes (never silently clamped: 1e9 s is an error, not the model's longest clip)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .errors import InvalidSettingsError

if TYPE_CHECKING:  # annotations only: importing this must not load pydantic (the add-on's enable)
    from .model_info import ModelInfo


def check_seconds(model: ModelInfo, seconds: float) -> int:
    """The frame count for `seconds` of this model's video, or InvalidSettingsError saying why not."""
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidSettingsError("seconds", f"{seconds:g} s: a clip must last a positive number of seconds",
                                   hint="give the duration as a number such as 2")
    shortest, longest = model.frames_minimum / model.fps, model.frames_limit / model.fps
    slack = model.frames_step / 2 / model.fps  # what rounds onto the grid's ends
    if seconds < shortest - slack or seconds > longest + slack:
        raise InvalidSettingsError(
            "seconds", f"{seconds:g} s is outside what {model.id} makes: {shortest:.2f}–{longest:.2f} s "
                       f"({model.frames_minimum}–{model.frames_limit} frames at {model.fps} fps)",
            hint=f"give between {shortest:.2f} and {longest:.2f} seconds")
    return model.frames_for_seconds(seconds)
