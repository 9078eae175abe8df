"""Clips play at real speed: a placed movie strip is retimed so that it covers exactly its slot.

How, measured frame by frame in every Blender of the matrix (tests/blender/test_timing.py): the movie
strip is stretched to the slot (its last frame held, or its end trimmed) and a Speed effect strip
(Multiply) on the channel above it asks it for clip frame t·(N-1)/(S-1) at slot frame t: the clip's
first frame on the slot's first frame, its last on the slot's last, evenly in between (5.0 and 4.5
round to the nearest frame, 4.2 takes the frame below). The same two strips open in every version.

What was measured and not used:
- the strip's own retiming keys. RNA cannot create retiming data (`retiming_keys.add()` crashes
  without it), moving a key through RNA crashes 4.x when a strip without keys is listed first (the
  key's owner is looked up by address and such a strip matches any key), Blender's Set Speed operator
  crashed the bpy module now and then (2 runs in 8 of the directing tests on 4.2; none in 6 without
  it), a movie reload (a moved file) undoes the retiming, and in 5.0 a retimed movie shows wrong
  frames: its source-image cache keys a frame by int(frame index) while the reader decodes
  round(frame index) (sequencer/intern/cache/source_image_cache.cc vs render.cc);
- Stretch speed control: it maps the clip's full length onto the slot, so a clip sped up loses its
  last frame.

Main thread only (the tick and operators).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import bpy

from ..common import shot_timing
from . import compat, naming

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..common.model_info import ModelInfo

# Multiply's factor is a 32-bit float: a hair over (N-1)/(S-1) so that the last slot frame never
# computes to just under N-1 (4.2 takes the frame below)
FACTOR_MARGIN = 1e-5


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / (scene.render.fps_base or 1.0)


def channels_needed(model_frames: int, slot_frames: int) -> int:
    """Channels a placed clip takes: two when it is retimed (the clip and its Speed strip above it)."""
    return 2 if model_frames != slot_frames and model_frames > 1 and slot_frames > 1 else 1


def fit_to_slot(scene: bpy.types.Scene, strip, slot_frames: int, channel: int) -> None:
    """Retime a movie strip just added at its slot's start so that it covers `slot_frames` scene frames,
    first frame to last, and move it to `channel` (free for the slot, and the channel above it too when
    the clip is retimed). Add the strip where its own full length is free: it overlaps nothing then."""
    clip_frames = int(strip.frame_duration)
    start = int(strip.frame_final_start)
    strip.frame_final_duration = slot_frames  # its last frame held, or its end trimmed: the effect's range
    if strip.channel != channel:
        strip.channel = channel
    if clip_frames != slot_frames and clip_frames > 1 and slot_frames > 1:
        _speed_effect(scene, strip, clip_frames, slot_frames)
    if (int(strip.frame_final_start), int(strip.frame_final_duration), strip.channel) != (start, slot_frames, channel):
        raise RuntimeError(f"placing {strip.name} in {slot_frames} frames at {start}, channel {channel} gave "
                           f"{strip.frame_final_duration} frames at {strip.frame_final_start}, channel {strip.channel}")


def speed_strip_of(scene: bpy.types.Scene, strip):
    """The Speed effect that retimes `strip`, if any."""
    editor = scene.sequence_editor
    if editor is None:
        return None
    for other in compat.all_strips(editor):
        if other.type == "SPEED" and _input_of(other) == strip:
            return other
    return None


def _input_of(effect):
    return getattr(effect, "input_1", None) or getattr(effect, "seq1", None)


def _speed_effect(scene: bpy.types.Scene, strip, clip_frames: int, slot_frames: int) -> None:
    collection = compat.strips(scene.sequence_editor)
    name = naming.unique(scene, f"{strip.name} (speed)")
    start = int(strip.frame_final_start)
    where = dict(name=name, type="SPEED", channel=strip.channel + 1, frame_start=start)
    if bpy.app.version >= (5, 0, 0):
        effect = collection.new_effect(**where, input1=strip, length=slot_frames)
    elif bpy.app.version >= (4, 4, 0):
        effect = collection.new_effect(**where, input1=strip, frame_end=start + slot_frames)
    else:  # 4.2
        effect = collection.new_effect(**where, seq1=strip, frame_end=start + slot_frames)
    effect.speed_control = "MULTIPLY"
    effect.speed_factor = (clip_frames - 1) / (slot_frames - 1) * (1 + FACTOR_MARGIN)
    effect["bmd_retimes"] = strip.name
    if "bmd_job_id" in strip:
        effect["bmd_job_id"] = strip["bmd_job_id"]


def panel_timing(scene: bpy.types.Scene, model: ModelInfo):
    """The Shot panel's duration as scene time and model frames: seconds (a slot of that much scene
    time, the model's frames to cover it) or frames (the model's frames, the slot they fill)."""
    props = scene.movie_director
    fps = scene_fps(scene)
    if props.use_seconds:
        return shot_timing.for_seconds(model, props.seconds, fps)
    return shot_timing.for_model_frames(model, props.frames, fps)


def strip_path(path) -> str:
    """How a new strip links its file: `//…` when the project is saved and the file is inside its
    folder (so the strip never needs relinking, which reloads the movie), else absolute."""
    text = str(path)
    if bpy.data.filepath:
        base = os.path.dirname(bpy.path.abspath("//"))
        try:
            relative = os.path.relpath(text, base)
        except ValueError:  # another drive (Windows)
            return text
        if not relative.startswith(".."):
            return "//" + relative.replace(os.sep, "/")
    return text


def repoint(strip, path: str) -> None:
    """Link a placed movie strip to another file (its clip moved) and keep it in its slot: Blender
    reloads a movie whose path changes and gives it its own length back."""
    if strip.filepath == path:
        return
    slot = int(strip.get("bmd_slot_frames", 0) or strip.frame_final_duration)
    channel = strip.channel
    strip.filepath = path
    if int(strip.frame_final_duration) != slot:
        strip.frame_final_duration = slot
    if strip.channel != channel:
        strip.channel = channel
