#!/usr/bin/env python3
"""The demo: headless Blender directs three shots through the add-on and the simulated server.

1. a text-to-video shot from the Director panel's prompt,
2. a shot from a storyboard text strip,
3. an image-to-video shot from a still image strip (a frame of shot 1),
each placed where it was asked for; then the .blend is saved, the strips are listed, and a contact
sheet of the timeline is rendered to demo_output/contact_sheet.png. Run with the bpy environment
(`make demo`).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "demo_output"
sys.path.insert(0, str(REPO))
os.environ["BLENDER_USER_RESOURCES"] = str(OUT / "blender_user")  # keep the user's own Blender out of it
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import bpy  # noqa: E402

from blender_movie_director.launcher import process as launcher  # noqa: E402
from devtools.blender import drive, enable_addon, jobs_finished  # noqa: E402


def strips_of(scene):
    editor = scene.sequence_editor
    return sorted(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all,
                  key=lambda s: (s.frame_final_start, s.channel))


def collection(scene):
    editor = scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def render_frame(scene, frame: int, path: Path) -> Path:
    scene.render.resolution_percentage = 50
    scene.render.image_settings.file_format = "PNG"
    scene.frame_set(frame)
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path


def contact_sheet(scene, clips, path: Path) -> Path:
    """One rendered frame from the middle of each clip, side by side, labelled."""
    from PIL import Image, ImageDraw

    tiles = []
    for i, strip in enumerate(clips):
        middle = int(strip.frame_final_start + strip.frame_final_duration // 2)
        tile = Image.open(render_frame(scene, middle, OUT / "frames" / f"shot{i + 1}.png")).convert("RGB")
        ImageDraw.Draw(tile).text((6, 6), f"shot {i + 1} · frame {middle} · ch {strip.channel} · {strip['bmd_model']}",
                                  fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
        tiles.append(tile)
    sheet = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) + 1), tiles[0].height + 16), (20, 20, 20))
    x = 8
    for tile in tiles:
        sheet.paste(tile, (x, 8))
        x += tile.width + 8
    sheet.save(path)
    return path


def main() -> int:
    OUT.mkdir(exist_ok=True)
    print("starting the simulated Director server…", flush=True)
    server = launcher.start_server(launcher.LaunchConfig(
        python=launcher.find_server_python(), state_dir=OUT / "server", output_dir=OUT / "server" / "outputs",
        port=0, step_seconds=0.03, allow_test_controls=True))
    try:
        return direct(server)
    finally:
        server.stop()


def direct(server) -> int:
    addon = enable_addon(server.url)
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps = 16  # Wan's rate: clips play at their true speed
    scene.render.resolution_x, scene.render.resolution_y = 832, 480  # before placing: strips fit to it
    scene.frame_start, scene.frame_end = 1, 150
    blend = OUT / "demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))  # clips go to //movie_director/ beside it
    props = scene.movie_director
    props.use_seconds, props.resolution, props.steps = True, "832x480", 12
    started = time.monotonic()

    # 1. text to video from the panel, at the playhead
    props.model, props.seconds, props.channel = "t2v_1.3B", 2.0, 2
    props.prompt = "Wide shot: a lighthouse on a cliff at dusk, waves crashing below"
    scene.frame_current = 1
    bpy.ops.movie_director.generate()

    # 2. a storyboard text strip becomes a shot above it
    text = collection(scene).new_effect(name="board", type="TEXT", channel=1, frame_start=40,
                                        **({"length": 41} if bpy.app.version >= (5, 0, 0) else {"frame_end": 81}))
    text.text = "Close-up: the keeper climbs the spiral stairs with a lantern"
    for strip in strips_of(scene):
        strip.select = strip == text
    bpy.ops.movie_director.generate_from_text_strips()
    drive(addon, jobs_finished(addon), timeout=120, on_tick=lambda: None)

    # 3. image to video: a still of shot 1 as an image strip, animated by an i2v model
    still = render_frame(scene, 16, OUT / "frames" / "still_for_i2v.png")
    image = collection(scene).new_image(name="still", filepath=str(still), channel=1, frame_start=90)
    image.frame_final_duration = 33
    scene.sequence_editor.active_strip = image
    props.model, props.seconds, props.prompt = "i2v", 2.0, "The beam starts to turn, gulls fly through it"
    bpy.ops.movie_director.image_to_video()
    drive(addon, jobs_finished(addon), timeout=120)
    elapsed = time.monotonic() - started

    failed = [r for r in addon.ui.addon.manager().jobs() if r.error]
    for record in failed:
        print(f"job {record.label!r} failed: {record.error}")
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    clips = [s for s in strips_of(scene) if "bmd_model" in s]
    print(f"\n{len(clips)} shots generated and placed in {elapsed:.1f} s; saved {blend.relative_to(REPO)}\n")
    print(f"{'strip':34} {'type':6} {'ch':>2} {'start':>5} {'len':>4} {'model':14} {'seed':>10}  prompt")
    for s in strips_of(scene):
        print(f"{s.name[:34]:34} {s.type[:6]:6} {s.channel:2} {int(s.frame_final_start):5} {s.frame_final_duration:4} "
              f"{s.get('bmd_model', '-'):14} {s.get('bmd_seed', '-'):>10}  {s.get('bmd_prompt', getattr(s, 'text', ''))[:48]}")
    stats = addon.ui.tick.tick_stats()
    print(f"\nmain-thread tick: median {stats['median_ms']:.3f} ms, worst {stats['worst_ms']:.1f} ms "
          f"over {stats['ticks']} ticks while jobs ran")
    sheet = contact_sheet(scene, clips, OUT / "contact_sheet.png")
    print(f"contact sheet: {sheet.relative_to(REPO)}")
    return 0 if len(clips) >= 3 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
