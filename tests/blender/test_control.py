"""From a 3D animatic to a shot: a scene strip with a moving cube drives a VACE shot, frame by frame.

The control renders in this process here (the bpy module has no Blender program to start; the real
program renders it in the background: tests/program/test_control_program.py). What is checked is
what the film maker sees: the decoded control video (Blender's own depth: values from the Mist pass,
checked against a ray cast), the decoded generated clip (the cube where the camera sees it at that
instant) and the timeline (the sequencer's picture at each frame, the cube where the scene strip under
it shows it).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import bpy
import imageio_ffmpeg
import numpy as np
import pytest

from devtools.in_blender import cube_scene
from tests.blender import frames

WIDTH, HEIGHT = 448, 256
MODEL = "vace_1.3B"


def strips(scene):
    editor = scene.sequence_editor
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all) if editor else []


def gray(path: Path, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width).astype(np.float32)


# the simulated engine lays the control's map over its pattern at 3/4 (server/engines/control.py): the pattern
# and its lettering stay under 1/4 of white, anything of the cube comes above it
GENERATED = 72.0


def bright_centre(picture: np.ndarray, threshold: float = GENERATED) -> tuple[float, float]:
    """Centre (x, y in pixels) of the pixels brighter than `threshold` (the cube, in a controlled clip)."""
    ys, xs = np.nonzero(picture > threshold)
    assert len(xs) > 50, f"nothing bright enough in the picture (max {picture.max():.0f})"
    return float(xs.mean() + 0.5), float(ys.mean() + 0.5)


def setup_shot(addon, scene, reading: str = "depth"):
    """A 2 s, 24 fps cube scene as a scene strip at frame 1 of the edit, and the shot queued from it."""
    frames.prepare(scene, WIDTH, HEIGHT)
    props = scene.movie_director
    props.model, props.resolution, props.steps = MODEL, f"{WIDTH}x{HEIGHT}", 2
    props.prompt = "a red toy cube slides across a marble table"
    cubes = cube_scene.build("Cube Scene", frames=48, fps=24, size=(WIDTH, HEIGHT))
    cubes.render.engine = "BLENDER_WORKBENCH"  # the timeline's own picture of the strip, fast
    editor = scene.sequence_editor_create()
    strip = addon.ui.compat.strips(editor).new_scene(name="Animatic", scene=cubes, channel=1, frame_start=1)
    control = addon.ui.control.shot.control_of(strip)
    task = addon.ui.control.shot.queue_control_shot(scene, control, reading)
    return cubes, strip, task


@pytest.fixture
def cleanup_scenes():
    yield
    for name in ("Cube Scene",):
        if name in bpy.data.scenes:
            bpy.data.scenes.remove(bpy.data.scenes[name])


def test_a_scene_strip_drives_a_vace_shot_whose_frames_follow_the_cube(addon, scene, drive, tmp_path: Path,
                                                                        cleanup_scenes) -> None:
    cubes, _strip, task = setup_shot(addon, scene, "depth")
    assert task.state == "done" and not task.in_background, task.describe()  # the bpy module renders here
    manager = addon.ui.addon.manager()
    drive(lambda: all(r.state.is_terminal for r in manager.jobs()) and not addon.ui.tick._waiting, timeout=120)
    record = manager.get(addon.ui.control.shot.last_jobs[-1])
    assert record.state.value == "succeeded", record.error

    # what was asked: VACE at its own 16 fps, 33 frames for 2 s, Blender's depth as a raw control map
    settings = record.settings
    assert (settings.model_type, settings.video_length, settings.resolution) == (MODEL, 33, f"{WIDTH}x{HEIGHT}")
    assert settings.extra["video_prompt_type"] == "V", settings.extra  # a prepared map: no estimator
    control = Path(settings.video_guide)
    assert control.is_file() and control.parent.name == "control"

    # the shot lands over the scene strip's range, on the channel above it
    (clip,) = [s for s in strips(scene) if "bmd_model" in s]
    assert (clip.channel, int(clip.frame_final_start), int(clip.frame_final_duration)) == (2, 1, 48)
    assert json.loads(clip["bmd_settings"])["extra"]["video_prompt_type"] == "V"

    # the control is Blender's depth of the cube at each clip frame's instant (sub-frames too)
    depth = gray(control)
    made = gray(Path(bpy.path.abspath(clip.filepath)))
    assert len(depth) == len(made) == 33
    step = 47 / 32  # 48 scene frames covered by 33 clip frames, first to last
    for k in range(33):
        x, y = cube_scene.cube_at(cubes, 1 + k * step)
        expected = (x * WIDTH, y * HEIGHT)
        for picture, what in ((depth[k], "control"), (made[k], "generated clip")):
            got = bright_centre(picture, 40 if what == "control" else GENERATED)
            assert abs(got[0] - expected[0]) < 4 and abs(got[1] - expected[1]) < 4, (what, k, got, expected)
    assert depth[:, :20, :20].max() < 8  # nothing there: far, black

    # and on the timeline: what the sequencer shows at each frame has the cube where the scene strip had it
    errors = []
    for t in range(1, 49, 5):
        picture = frames.render(scene, t, tmp_path).mean(axis=2)
        x, y = cube_scene.cube_at(cubes, float(t))
        got = bright_centre(picture)
        errors.append(abs(got[0] - x * WIDTH))
        assert abs(got[0] - x * WIDTH) < 7 and abs(got[1] - y * HEIGHT) < 5, (t, got, (x * WIDTH, y * HEIGHT))
    print(f"\ncube on the timeline vs in the 3D scene: worst {max(errors):.1f} px, mean {np.mean(errors):.1f} px")


def test_the_depth_is_blenders_own(addon, scene, drive, cleanup_scenes) -> None:
    """A depth-reading shot gets the Mist pass's depth: at pixels across the cube, the value is the ray's
    distance mapped linearly between the near and far ends the renderer used (near white)."""
    cubes, _strip, _task = setup_shot(addon, scene, "depth")
    manager = addon.ui.addon.manager()
    drive(lambda: all(r.state.is_terminal for r in manager.jobs()) and not addon.ui.tick._waiting, timeout=120)
    record = manager.get(addon.ui.control.shot.last_jobs[-1])
    depth = gray(Path(record.settings.video_guide))
    render = addon.ui.control.scene_render
    times = [1 + k * 47 / 32 for k in range(33)]
    near, far = render.depth_range(cubes, cubes.camera, times)
    depsgraph = cubes.view_layers[0].depsgraph
    checked = 0
    for k in (0, 16, 32):
        whole = int(times[k])
        cubes.frame_set(whole, subframe=times[k] - whole)
        camera = cubes.camera.evaluated_get(depsgraph)
        x, y = cube_scene.cube_at(cubes, times[k])
        cubes.frame_set(whole, subframe=times[k] - whole)
        for dx, dy in ((0, 0), (-6, 0), (6, 3), (0, -6)):
            px, py = int(x * WIDTH) + dx, int(y * HEIGHT) + dy
            # the picture's corners in the camera's own space: top right, bottom right, bottom left, top left
            top_right, _, bottom_left, top_left = camera.data.view_frame(scene=cubes)
            u, v = (px + 0.5) / WIDTH, (py + 0.5) / HEIGHT
            local = top_left + (top_right - top_left) * u + (bottom_left - top_left) * v
            origin = camera.matrix_world.translation
            direction = (camera.matrix_world.to_3x3() @ local).normalized()
            hit, location, *_ = cubes.ray_cast(depsgraph, origin, direction)
            assert hit, (k, dx, dy)
            expected = 255 * (1 - ((location - origin).length - near) / (far - near))
            assert abs(depth[k, py, px] - expected) < 6, (k, dx, dy, depth[k, py, px], expected)
            checked += 1
    assert checked == 12


def write_video(path: Path, pictures: np.ndarray, fps: int = 24) -> Path:
    height, width = pictures.shape[1:3]
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-c:v", "libx264", "-crf", "12",
                    "-pix_fmt", "yuv420p", str(path)], input=pictures.astype(np.uint8).tobytes(), check=True)
    return path


def test_a_movie_strip_with_a_mask_strip_reaches_a_model_that_takes_a_mask(addon, scene, drive, tmp_path: Path) -> None:
    """A phone video (here a grey ramp with a moving bar) is the control, a second strip masks its right
    half: VACE is asked to inpaint inside the mask; outside it the clip keeps the video's own frames."""
    frames.prepare(scene, WIDTH, HEIGHT)
    props = scene.movie_director
    props.model, props.resolution, props.steps = MODEL, f"{WIDTH}x{HEIGHT}", 2
    props.prompt = "a bird lands on the fence"
    count = 36
    ramp = np.tile(np.linspace(40, 200, WIDTH)[None, :, None], (HEIGHT, 1, 3))
    video = np.repeat(ramp[None], count, axis=0)
    for i in range(count):  # a bar moving down, so that the frames differ
        video[i, 4 * i: 4 * i + 12, :, :] = 250
    mask = np.zeros_like(video)
    mask[:, :, WIDTH // 2:, :] = 255
    editor = scene.sequence_editor_create()
    collection = addon.ui.compat.strips(editor)
    movie = collection.new_movie(name="phone", filepath=str(write_video(tmp_path / "phone.mp4", video)), channel=1,
                                 frame_start=10, fit_method="FIT")
    matte = collection.new_movie(name="matte", filepath=str(write_video(tmp_path / "matte.mp4", mask)), channel=3,
                                 frame_start=10, fit_method="FIT")
    control = addon.ui.control.shot.control_of(movie)
    task = addon.ui.control.shot.queue_control_shot(scene, control, "as_is", mask_strip=matte)
    assert task.state == "done", task.describe()
    manager = addon.ui.addon.manager()
    drive(lambda: all(r.state.is_terminal for r in manager.jobs()) and not addon.ui.tick._waiting, timeout=120)
    record = manager.get(addon.ui.control.shot.last_jobs[-1])
    assert record.state.value == "succeeded", record.error
    settings = record.settings
    assert settings.extra["video_prompt_type"] == "MVA"  # VACE: inpaint inside the mask video
    assert settings.video_guide is not None and settings.video_mask is not None
    sent_mask = gray(Path(settings.video_mask))
    assert sent_mask[:, :, : WIDTH // 2 - 4].max() < 20 and sent_mask[:, :, WIDTH // 2 + 4:].min() > 235

    (clip,) = [s for s in strips(scene) if "bmd_model" in s]
    assert (int(clip.frame_final_start), int(clip.frame_final_duration)) == (10, count)
    made = gray(Path(bpy.path.abspath(clip.filepath)))
    sent = gray(Path(settings.video_guide))
    left, right = slice(8, WIDTH // 2 - 8), slice(WIDTH // 2 + 8, WIDTH - 8)
    for k in range(0, len(made), 4):  # outside the mask: the video itself; inside: made anew
        assert np.abs(made[k, :, left] - sent[k, :, left]).mean() < 6, k
        assert np.abs(made[k, :, right] - sent[k, :, right]).mean() > 20, k


def test_a_model_without_that_reading_or_a_mask_is_refused_before_anything_renders(addon, scene,
                                                                                     cleanup_scenes) -> None:
    errors = pytest.importorskip(f"{addon.__name__}.common.errors")
    props = scene.movie_director
    props.prompt = "anything"
    cubes = cube_scene.build("Cube Scene", frames=24, fps=24)
    editor = scene.sequence_editor_create()
    strip = addon.ui.compat.strips(editor).new_scene(name="Animatic", scene=cubes, channel=1, frame_start=1)
    shot = addon.ui.control.shot
    with pytest.raises(errors.InvalidSettingsError, match="does not read a control video as depth"):
        shot.queue_control_shot(scene, shot.control_of(strip), "depth", model_id="t2v")  # Wan t2v: as is only
    with pytest.raises(errors.InvalidSettingsError, match="does not take a control video"):
        shot.queue_control_shot(scene, shot.control_of(strip), "as_is", model_id="t2v_1.3B")
    assert not addon.ui.control.tasks.tasks() or all(t.label != "anything" for t in addon.ui.control.tasks.tasks())


def test_a_scene_and_camera_without_a_strip_make_a_shot_at_the_playhead_at_true_speed(addon, scene, drive,
                                                                                       cleanup_scenes) -> None:
    """Generate with Control with no strip active: the Control panel's 3D scene (24 fps, 48 frames) at the
    playhead of a 30 fps edit is a 2 s shot of 60 frames; control frame k is the 3D scene at the instant
    the clip shows it."""
    frames.prepare(scene, WIDTH, HEIGHT)
    scene.render.fps = 30
    props = scene.movie_director
    props.model, props.resolution, props.steps, props.channel = MODEL, f"{WIDTH}x{HEIGHT}", 2, 2
    props.prompt = "a cube crosses the frame"
    cubes = cube_scene.build("Cube Scene", frames=48, fps=24, size=(WIDTH, HEIGHT))
    scene.sequence_editor_create()
    scene.frame_current = 20
    control = scene.movie_director_control
    control.scene, control.camera, control.reading = cubes, cubes.camera, "edges"
    assert bpy.ops.movie_director.control_shot() == {"FINISHED"}
    manager = addon.ui.addon.manager()
    drive(lambda: all(r.state.is_terminal for r in manager.jobs()) and not addon.ui.tick._waiting, timeout=120)
    record = manager.get(addon.ui.control.shot.last_jobs[-1])
    assert record.state.value == "succeeded", record.error
    assert (record.slot.frame_start, record.slot.frames, record.settings.video_length) == (20, 60, 33)
    assert record.settings.extra["video_prompt_type"] == "V"  # VACE reads Blender's own lines as they are
    lines = gray(Path(record.settings.video_guide))
    for k in (0, 8, 16, 24, 32):  # the cube's outline: a thin white line around where the camera sees it
        x, y = cube_scene.cube_at(cubes, 1 + k * 47 / 32)
        got = bright_centre(lines[k], 100)
        assert abs(got[0] - x * WIDTH) < 5 and abs(got[1] - y * HEIGHT) < 5, (k, got)
        assert (lines[k] > 100).mean() < 0.05  # lines, not a filled silhouette
    control.scene = None


def test_a_control_that_finishes_after_another_file_was_opened_queues_nothing(addon, scene) -> None:
    """The render outlives opening another file (its timer is persistent): the shot is not queued into
    a scene of the other file that happens to have the same name."""
    errors = pytest.importorskip(f"{addon.__name__}.common.errors")
    shot = addon.ui.control.shot
    planned = addon.common.control.plan(addon.ui.queueing.known_models()[MODEL], "depth")
    gone = {"scene": scene.name, "pointer": scene.as_pointer() + 1, "model": MODEL, "prompt": "x", "frames": 17,
            "letters": "V", "frame_start": 1, "slot_frames": 24, "channel": 2, "label": "x", "extra": {}, "plan": ""}
    before = len(addon.ui.addon.manager().jobs())
    with pytest.raises(errors.QueueError, match="another file was opened"):
        shot._queue(gone, [Path("control.mp4")], planned)
    assert len(addon.ui.addon.manager().jobs()) == before
