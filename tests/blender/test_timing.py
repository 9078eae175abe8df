"""True timing, frame by frame: in 24, 25 and 30 fps scenes, clips from 16, 24 and 30 fps models
cover exactly their shot's slot, the clip's first frame on the slot's first scene frame and its last
frame on the slot's last one, evenly in between (what the sequencer renders is matched against the
clip's own frames)."""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import pytest

from tests.blender import frames

WIDTH, HEIGHT = 448, 256
# (model, its fps): Wan 16 fps is slowed down, LTX-Video 30 fps sped up, Hunyuan 24 fps about as it is
MODELS = (("t2v_1.3B", 16), ("ltxv_distilled", 30), ("hunyuan", 24))


def expected_frame(shot_timing, offset: int, clip_frames: int, slot_frames: int) -> int:
    """The clip frame the Speed strip shows: the nearest one (4.3+), the one below (4.2)."""
    if bpy.app.version >= (4, 3, 0):
        return shot_timing.source_frame_at(offset, clip_frames, slot_frames)
    return math.floor(offset * (clip_frames - 1) / (slot_frames - 1) + 1e-6)


def strips(scene):
    editor = scene.sequence_editor
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all) if editor else []


@pytest.mark.parametrize("fps", [24, 25, 30])
def test_each_clip_covers_its_slot_first_frame_to_last(addon, scene, drive, tmp_path: Path, fps: int) -> None:
    from importlib import import_module

    from blender_movie_director.ui import compat

    shot_timing = import_module(f"{addon.__name__}.common.shot_timing")  # the add-on's own copy, its enums
    scene.render.fps, scene.render.fps_base = fps, 1.0
    frames.prepare(scene, WIDTH, HEIGHT)
    props = scene.movie_director
    props.resolution, props.steps = f"{WIDTH}x{HEIGHT}", 2
    editor = scene.sequence_editor_create()
    # shots back to back on one channel, each a text strip's place and length: 2 s, an odd 37 frames, 1.5 s
    lengths = [2 * fps, 37, round(1.5 * fps)]
    start, texts = 1, []
    for (model, _), length in zip(MODELS, lengths, strict=True):
        text = compat.new_effect(editor, model, "TEXT", 1, start, length)
        text.text = f"{model} shot of {length} frames at {fps} fps"
        texts.append(text)
        start += length
    for text, (model, _) in zip(texts, MODELS, strict=True):
        slot = int(text.frame_final_duration)
        asked = shot_timing.for_slot(addon.ui.queueing.known_models()[model], slot, fps).model_frames
        addon.ui.queueing.queue_generation(scene, props.to_settings(model_type=model, prompt=text.text,
                                                                    video_length=asked),
                                           channel=2, frame_start=int(text.frame_final_start), slot_frames=slot)
    drive(lambda: all(r.state.is_terminal for r in addon.ui.addon.manager().jobs())
          and not addon.ui.tick._waiting, timeout=120)

    clips = sorted((s for s in strips(scene) if "bmd_model" in s), key=lambda s: s.frame_final_start)
    assert [c["bmd_model"] for c in clips] == [m for m, _ in MODELS], [c.name for c in clips]
    for clip, text, (model, model_fps) in zip(clips, texts, MODELS, strict=True):
        slot_start, slot = int(text.frame_final_start), int(text.frame_final_duration)
        info = addon.ui.queueing.known_models()[model]
        timing = shot_timing.for_slot(info, slot, fps)
        # the clip sits exactly on its shot: same place, same length, the channel above, none pushed up
        assert (clip.channel, int(clip.frame_final_start), int(clip.frame_final_duration)) == (2, slot_start, slot)
        n = clip["bmd_frames"]
        assert n == timing.model_frames and clip["bmd_fps"] == model_fps
        source = frames.decode(Path(bpy.path.abspath(clip.filepath)), WIDTH, HEIGHT)
        assert len(source) == n
        last = slot - 1
        checks = {0: 0, last: n - 1, 1: expected_frame(shot_timing, 1, n, slot),
                  last // 2: expected_frame(shot_timing, last // 2, n, slot)}
        seen = {offset: frames.shown(scene, slot_start + offset, source, tmp_path) for offset in checks}
        assert seen == checks, f"{model} at {fps} fps: {n} frames in {slot} ({timing.describe()})"
        # outside the slot the clip does not show
        assert frames.shown(scene, slot_start + slot, source, tmp_path) is None
        if slot_start > 1:
            assert frames.shown(scene, slot_start - 1, source, tmp_path) is None
        # real speed: the clip's seconds are the slot's, give or take the model's frame grid
        step_seconds = info.frames_step / model_fps
        assert abs(n / model_fps - slot / fps) <= step_seconds / 2 + 1 / model_fps
    print(f"\n{fps} fps: " + "; ".join(f"{c['bmd_model']} {c['bmd_frames']} frames → {c.frame_final_duration}"
                                     for c in clips))


def test_a_moved_clip_stays_fitted_to_its_slot(addon, scene, drive, tmp_path: Path) -> None:
    """Moving a clip's file (e.g. into the project folder on its first save) makes Blender reload the
    movie, which undoes a retiming: the strip is fitted again, first frame to last."""
    import shutil

    frames.prepare(scene, WIDTH, HEIGHT)
    props = scene.movie_director
    props.resolution, props.steps = f"{WIDTH}x{HEIGHT}", 2
    addon.ui.queueing.queue_generation(scene, props.to_settings(model_type="t2v_1.3B", prompt="moves house",
                                                                video_length=33),
                                       channel=2, frame_start=1, slot_frames=48)
    drive(lambda: all(r.state.is_terminal for r in addon.ui.addon.manager().jobs()) and not addon.ui.tick._waiting)
    (clip,) = [s for s in strips(scene) if "bmd_model" in s]
    assert clip.filepath.startswith("//")  # linked relative from the start: no relinking (reloading) needed
    moved = tmp_path / "elsewhere" / "clip.mp4"
    moved.parent.mkdir()
    shutil.copy(bpy.path.abspath(clip.filepath), moved)
    addon.ui.timing.repoint(clip, str(moved))
    assert (clip.channel, clip.frame_final_start, clip.frame_final_duration) == (2, 1, 48)
    source = frames.decode(moved, WIDTH, HEIGHT)
    assert [frames.shown(scene, f, source, tmp_path) for f in (1, 48)] == [0, 32]
    assert frames.shown(scene, 49, source, tmp_path) is None
