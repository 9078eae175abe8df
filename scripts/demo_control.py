"""The demo's 3D animatic shot (imported by demo.py): a small Blender scene, a cube crossing the frame while
the camera dollies in, drives a VACE shot through its depth.

The scene goes on the timeline as a scene strip; Generate with Control renders Blender's own depth of it
(the Mist pass) at VACE's 16 fps and size, and the shot lands over the strip at real speed. The demo
then checks, on decoded frames, that the cube in the generated clip is where the camera sees it, and
writes demo_output/control_sheet.png: the scene strip, the control (depth) and the generated clip at the
shot's first, middle and last frame.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import bpy

from devtools.blender import drive, jobs_finished
from devtools.in_blender import cube_scene

FPS = 24
WIDTH, HEIGHT = 832, 480
MODEL = "vace_1.3B"
PROMPT = "a red lacquered cube glides across a marble table, soft studio light, the camera pushes in"


def _decode(path: Path):
    import imageio_ffmpeg
    import numpy as np

    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH, 3)


def direct(addon, out: Path) -> dict:
    """Direct the shot; returns what happened (for the summary and the sheet)."""
    bpy.ops.wm.read_homefile(use_empty=True)
    edit = bpy.context.scene
    edit.render.fps, edit.render.fps_base = FPS, 1.0
    edit.render.resolution_x, edit.render.resolution_y, edit.render.resolution_percentage = WIDTH, HEIGHT, 100
    edit.view_settings.view_transform = "Standard"
    bpy.ops.wm.save_as_mainfile(filepath=str(out / "control.blend"))
    cubes = cube_scene.build("Animatic", frames=2 * FPS, fps=FPS, size=(WIDTH, HEIGHT))
    cubes.render.engine = "BLENDER_WORKBENCH"  # how the timeline shows the animatic
    editor = edit.sequence_editor_create()
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    animatic = strips.new_scene(name="Animatic", scene=cubes, channel=1, frame_start=1)
    edit.frame_start, edit.frame_end = 1, int(animatic.frame_final_end) - 1
    editor.active_strip = animatic
    props = edit.movie_director
    props.model, props.resolution, props.steps, props.prompt = MODEL, f"{WIDTH}x{HEIGHT}", 8, PROMPT
    edit.movie_director_control.reading = "depth"
    started = time.monotonic()
    result = bpy.ops.movie_director.control_shot()
    rendered = time.monotonic() - started
    if result != {"FINISHED"}:
        raise RuntimeError(f"Generate with Control returned {result}")
    drive(addon, jobs_finished(addon), timeout=300)
    record = addon.ui.addon.manager().get(addon.ui.control.shot.last_jobs[-1])
    if record.state.value != "succeeded":
        raise RuntimeError(f"the control shot failed: {record.error}")
    bpy.ops.wm.save_mainfile()
    clip = next(s for s in _all(edit) if s.get("bmd_job_id") == record.id and "bmd_model" in s)

    # the cube in the generated clip, frame by frame, against where the camera sees it
    made = _decode(Path(bpy.path.abspath(clip.filepath))).mean(axis=3)
    frames = record.settings.video_length
    slot = int(animatic.frame_final_duration)
    worst = 0.0
    for k in range(frames):
        x, y = cube_scene.cube_at(cubes, 1 + k * (slot - 1) / (frames - 1))
        ys, xs = (made[k] > 72).nonzero()
        worst = max(worst, abs(xs.mean() + 0.5 - x * WIDTH), abs(ys.mean() + 0.5 - y * HEIGHT))
    task = addon.ui.control.tasks.tasks()[0]
    return {"edit": edit, "animatic": animatic, "clip": clip, "record": record, "render_seconds": rendered,
            "in_background": task.in_background,
            "worst_px": worst, "blend": out / "control.blend", "control": Path(record.settings.video_guide)}


def summary(result: dict) -> list[str]:
    record, clip = result["record"], result["clip"]
    settings = record.settings
    return [
        f"3D animatic shot: scene strip 'Animatic' ({result['animatic'].frame_final_duration} frames at {FPS} fps) "
        f"-> {settings.model_type}, {settings.video_length} frames at {clip['bmd_fps']:g} fps, {settings.resolution}",
        f"  reading: depth, Blender's own (Mist pass), video_prompt_type {settings.extra['video_prompt_type']!r}; "
        f"control rendered in {result['render_seconds']:.1f} s "
        f"({'in a background Blender' if result['in_background'] else 'in this process: Blender runs as a module here'})",
        f"  clip on channel {clip.channel}, frames {int(clip.frame_final_start)}-{int(clip.frame_final_end) - 1} "
        f"(over the strip); the cube in the generated frames is where the camera sees it within "
        f"{result['worst_px']:.1f} px",
    ]


def _all(scene) -> list:
    editor = scene.sequence_editor
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def sheet(result: dict, out: Path) -> Path:
    """The animatic, the control (Blender's depth) and the generated clip, at the first, middle and last
    frame of the shot."""
    from PIL import Image, ImageDraw

    edit, animatic, clip = result["edit"], result["animatic"], result["clip"]
    control = _decode(result["control"])
    made = _decode(Path(bpy.path.abspath(clip.filepath)))
    frames, slot = len(made), int(animatic.frame_final_duration)
    tile_w, tile_h = WIDTH // 3, HEIGHT // 3
    picks = (0, frames // 2, frames - 1)
    rows = []
    for k in picks:
        frame = 1 + round(k * (slot - 1) / (frames - 1))
        above = [s for s in _all(edit) if s.channel > animatic.channel]  # the clip (and its Speed effect on 5.0)
        for strip in above:
            strip.mute = True  # the animatic as the timeline shows it, under the clip
        edit.frame_set(frame)
        edit.render.image_settings.file_format = "PNG"
        edit.render.filepath = str(out / "frames" / f"animatic_{frame}.png")
        bpy.ops.render.render(write_still=True)
        for strip in above:
            strip.mute = False
        scene_tile = Image.open(edit.render.filepath).convert("RGB")
        tiles = [scene_tile, Image.fromarray(control[k]), Image.fromarray(made[k])]
        rows.append((f"scene frame {frame} = clip frame {k + 1}/{frames}",
                     [t.resize((tile_w, tile_h)) for t in tiles]))
    image = Image.new("RGB", (3 * tile_w + 32, len(rows) * (tile_h + 24) + 24), (20, 20, 20))
    draw = ImageDraw.Draw(image)
    draw.text((8, 4), "animatic (scene strip)      control: Blender's depth      generated (VACE, simulated)",
              fill=(255, 230, 120))
    for r, (caption, tiles) in enumerate(rows):
        y = 24 + r * (tile_h + 24)
        draw.text((8, y), caption, fill=(200, 200, 200))
        for c, tile in enumerate(tiles):
            image.paste(tile, (8 + c * (tile_w + 8), y + 14))
    path = out / "control_sheet.png"
    image.save(path)
    return path
