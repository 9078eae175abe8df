"""Clips play at real speed: a placed movie strip is retimed so that it covers exactly its slot.

What works differs by Blender version (each measured frame by frame in tests/blender/test_timing.py):

- 4.2 and 4.5: the strip's own retiming keys, set by Blender's Set Speed operator (RNA can neither
  create retiming data, `retiming_keys.add()` crashes without it, nor safely move a key: see
  `_retiming_keys`). The end key lands on the slot's last frame: clip frame k shows at
  round(k·(S-1)/(N-1)), the first and last exactly on the slot's ends.
- 5.0: Blender's source-image cache keys a frame by int(frame index) while the movie reader decodes
  round(frame index) (sequencer/intern/cache/source_image_cache.cc vs render.cc), so a retimed movie
  shows wrong frames depending on what was drawn before. A Speed effect strip (Multiply) over the
  clip asks its input for exact frames instead: the movie strip is stretched (held or trimmed) to
  the slot, and the effect on the channel above maps slot frame t to clip frame
  round(t·(N-1)/(S-1)).

Main thread only (the tick and operators).
"""

from __future__ import annotations

import bpy

from ..common import shot_timing
from ..common.model_info import ModelInfo
from . import compat, naming

USE_SPEED_EFFECT = bpy.app.version >= (5, 0, 0)


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / (scene.render.fps_base or 1.0)


def channels_needed(model_frames: int, slot_frames: int) -> int:
    """Channels a placed clip takes: two on 5.0 when it is retimed (the clip and its Speed effect)."""
    return 2 if USE_SPEED_EFFECT and model_frames != slot_frames and model_frames > 1 else 1


def fit_to_slot(scene: bpy.types.Scene, strip, slot_frames: int, channel: int) -> None:
    """Retime a movie strip just added at its slot's start so that it covers `slot_frames` scene frames,
    first frame to last, and move it to `channel` (free for the slot; on 5.0 with the channel above).

    Add the strip where the longer of its own length (plus one) and the slot is free: Blender's
    speed operator moves a strip that overlaps another, and 4.2 lengthens it by a frame on the way."""
    clip_frames = int(strip.frame_duration)
    start = int(strip.frame_final_start)
    if clip_frames != slot_frames and clip_frames > 1 and slot_frames > 1:
        if USE_SPEED_EFFECT:
            strip.frame_final_duration = slot_frames  # held on its last frame, or trimmed: the effect's range
            strip.channel = channel
            _speed_effect(scene, strip, clip_frames, slot_frames)
        else:
            _retiming_keys(scene, strip, slot_frames)
    if strip.channel != channel:
        strip.channel = channel
    if (int(strip.frame_final_start), int(strip.frame_final_duration), strip.channel) != (start, slot_frames, channel):
        raise RuntimeError(f"placing {strip.name} in {slot_frames} frames at {start}, channel {channel} gave "
                           f"{strip.frame_final_duration} frames at {strip.frame_final_start}, channel {strip.channel}")


def speed_strip_of(scene: bpy.types.Scene, strip):
    """The Speed effect that retimes `strip` (5.0), if any."""
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
    editor = scene.sequence_editor
    collection = compat.strips(editor)
    name = naming.unique(scene, f"{strip.name} (speed)")
    start = int(strip.frame_final_start)
    try:
        effect = collection.new_effect(name=name, type="SPEED", channel=strip.channel + 1, frame_start=start,
                                       input1=strip, length=slot_frames)
    except TypeError:  # 4.x signature (not used there, kept for completeness)
        effect = collection.new_effect(name=name, type="SPEED", channel=strip.channel + 1, frame_start=start,
                                       input1=strip, frame_end=start + slot_frames)
    effect.speed_control = "MULTIPLY"
    effect.speed_factor = (clip_frames - 1) / (slot_frames - 1) if slot_frames > 1 else 1.0
    effect["bmd_retimes"] = strip.name
    if "bmd_job_id" in strip:
        effect["bmd_job_id"] = strip["bmd_job_id"]


def _retiming_keys(scene: bpy.types.Scene, strip, slot_frames: int) -> None:
    """4.x: Blender's Set Speed operator on this strip alone. (Moving the end key through RNA would be
    simpler, but 4.x's key lookup takes any strip without keys listed before this one for the key's
    owner, and crashes.) The first call at 100% creates the keys; the strip is then one frame longer
    than the span its end key covers (4.2: the clip's frames, 4.3+: one less), and a speed of
    span / (slot - 0.75) lands the end key on the slot's last frame in either."""
    editor = scene.sequence_editor
    everything = list(compat.all_strips(editor))
    selected = {s.name for s in everything if s.select}
    active = editor.active_strip
    try:
        for other in everything:
            other.select = other == strip
        editor.active_strip = strip
        _set_speed(scene, 100.0)
        span = int(strip.frame_final_duration) - 1
        speed = 100.0 * span / (slot_frames - 0.75)
        for _ in range(4):
            _set_speed(scene, speed)
            got = int(strip.frame_final_duration)
            if got == slot_frames:
                return
            speed *= (got - 0.75) / (slot_frames - 0.75)
        raise RuntimeError(f"Blender's Set Speed did not fit {strip.name} into {slot_frames} frames")
    finally:
        for other in everything:
            other.select = other.name in selected
        editor.active_strip = active


def _set_speed(scene: bpy.types.Scene, percent: float) -> None:
    with bpy.context.temp_override(scene=scene):
        result = bpy.ops.sequencer.retiming_segment_speed_set(speed=percent)
    if "FINISHED" not in result:
        raise RuntimeError(f"Blender's Set Speed refused: {result}")


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
    folder (so the strip never needs relinking, which would reload a retimed movie), else absolute."""
    import os

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
    """Link a placed movie strip to another file (its clip moved) and keep it in its slot. Blender
    reloads a movie whose path changes, and the reload undoes the fit (4.2 grows the strip by a frame;
    5.0 gives the movie its own length back), so the clip is fitted again."""
    if strip.filepath == path:
        return
    scene = strip.id_data
    slot = int(strip.get("bmd_slot_frames", 0) or strip.frame_final_duration)
    channel = strip.channel
    strip.filepath = path
    if int(strip.frame_final_duration) == slot:
        return
    if USE_SPEED_EFFECT and speed_strip_of(scene, strip) is not None:
        strip.frame_final_duration = slot
    elif int(strip.frame_duration) != slot:
        _retiming_keys(scene, strip, slot)
    else:
        strip.frame_final_duration = slot
    if strip.channel != channel:
        strip.channel = channel
