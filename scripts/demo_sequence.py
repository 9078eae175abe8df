"""The demo's sequence: five shots directed from text strips in a 24 fps scene (imported by demo.py).

1. a wide shot (Wan 1.3B, 16 fps: slowed to real time),
2. a close-up (Hunyuan, 24 fps),
3. the lamp flares (LTX-Video, 30 fps: sped to real time),
4. a first + last frame shot from the last frame of shot 3 to the first of shot 1 (Wan FLF2V),
5. an extension that continues shot 4's clip,
then three takes of shot 2 of which one is kept (the others' files go to takes/). Every clip covers
exactly its text strip; the contact sheet shows each clip's first, middle and last frame in the scene.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import bpy

from devtools.blender import drive, jobs_finished

FPS = 24
SHOTS = (  # (prompt, seconds, model)
    ("Wide shot: a lighthouse on a cliff at dusk, waves crashing below", 2.0, "t2v_1.3B"),
    ("Close-up: the keeper climbs the spiral stairs with a lantern", 1.5, "hunyuan"),
    ("The great lamp flares and its beam sweeps over the dark sea", 2.0, "ltxv_distilled"),
    ("The beam fades from the sea back to the lighthouse", 2.0, "flf2v_720p"),
    ("The keeper blows out the lantern and the lighthouse goes dark", 2.0, ""),  # continues shot 4
)


def _strips(scene) -> list:
    editor = scene.sequence_editor
    return sorted(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all,
                  key=lambda s: (s.frame_final_start, s.channel))


def _text(scene, prompt: str, start: int, length: int):
    editor = scene.sequence_editor_create()
    collection = editor.strips if hasattr(editor, "strips") else editor.sequences
    kind = {"length": length} if bpy.app.version >= (5, 0, 0) else {"frame_end": start + length}
    strip = collection.new_effect(name=f"board {start}", type="TEXT", channel=1, frame_start=start, **kind)
    strip.text = prompt
    strip.font_size = 28
    return strip


def _still(scene, frame: int, path: Path) -> Path:
    saved = (scene.render.resolution_percentage, scene.frame_current)
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.frame_set(frame)
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    scene.render.resolution_percentage, _ = saved
    scene.frame_set(saved[1])
    return path


def _wait(addon, what: str) -> None:
    drive(addon, jobs_finished(addon), timeout=300)
    failed = [r for r in addon.ui.addon.manager().jobs() if r.state.value == "failed"]
    if failed:
        raise RuntimeError(f"{what}: " + "; ".join(f"{r.label[:40]}: {r.error}" for r in failed))


def direct(addon, out: Path) -> dict:
    """Direct the sequence; returns what happened (for the table and the checks)."""
    shutil.rmtree(out / "movie_director", ignore_errors=True)  # the clips of an earlier run of the demo
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = FPS, 1.0
    scene.render.resolution_x, scene.render.resolution_y = 832, 480  # before placing: strips fit to it
    blend = out / "demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))  # clips go to //movie_director/ beside it
    props = scene.movie_director
    props.model, props.resolution, props.steps, props.channel = "t2v_1.3B", "832x480", 12, 2
    started = time.monotonic()

    texts, start = [], 1
    for prompt, seconds, _model in SHOTS:
        length = round(seconds * FPS)
        texts.append(_text(scene, prompt, start, length))
        start += length
    scene.frame_start, scene.frame_end = 1, start - 1
    for strip in _strips(scene):
        strip.select = True
    bpy.ops.movie_director.shots_from_text_strips()
    for text, (_prompt, _seconds, model) in zip(texts, SHOTS, strict=True):
        text.movie_director_shot.model = model
    texts[4].movie_director_shot.extend_previous = True

    # shots 1-3: Generate All (shot 4 needs stills of them, shot 5 waits for shot 4's clip)
    texts[3].movie_director_shot.skip = True
    bpy.ops.movie_director.generate_all_shots()
    _wait(addon, "shots 1-3")

    # shot 4: first + last frame, from the last frame of shot 3 to the first frame of shot 1
    shot3_end = int(texts[2].frame_final_end) - 1
    first = _still(scene, shot3_end, out / "frames" / "shot4_first.png")
    last = _still(scene, 1, out / "frames" / "shot4_last.png")
    texts[3].movie_director_shot.start_image = str(first)
    texts[3].movie_director_shot.end_image = str(last)
    texts[3].movie_director_shot.skip = False
    bpy.ops.movie_director.generate_all_shots()
    _wait(addon, "shot 4")

    # shot 5 continues shot 4's clip (Extend); Generate All queues it now that the clip is there
    bpy.ops.movie_director.generate_all_shots()
    _wait(addon, "shot 5")

    # three takes of shot 2: two variations, keep the second take
    shots = addon.ui.shots
    (close_up,) = shots.clips_of(scene, texts[1].movie_director_shot.uid)
    scene.sequence_editor.active_strip = close_up
    bpy.ops.movie_director.variations(count=2)
    _wait(addon, "variations")
    takes = sorted(shots.clips_of(scene, texts[1].movie_director_shot.uid), key=lambda c: c.channel)
    keep = takes[1]
    scene.sequence_editor.active_strip = keep
    kept_name = keep.name
    bpy.ops.movie_director.keep_take()
    elapsed = time.monotonic() - started

    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    clips = []
    for number, text in enumerate(texts, start=1):
        (clip,) = shots.clips_of(scene, text.movie_director_shot.uid)
        clips.append((number, text, clip))
    return {"scene": scene, "blend": blend, "clips": clips, "seconds": elapsed, "kept": kept_name,
            "takes_folder": Path(bpy.path.abspath(clips[1][2]["bmd_output"])).parent / "takes"}


def table(result: dict) -> list[str]:
    scene = result["scene"]
    lines = [f"{'strip':40} {'type':6} {'ch':>2} {'start':>5} {'len':>4} {'model':15} {'clip':>14}  prompt"]
    for s in _strips(scene):
        clip = f"{s['bmd_frames']}f@{s['bmd_fps']:g}fps" if "bmd_frames" in s else "-"
        prompt = str(s.get("bmd_prompt", getattr(s, "text", "")))[:44]
        lines.append(f"{s.name[:40]:40} {s.type[:6]:6} {s.channel:2} {int(s.frame_final_start):5} "
                     f"{s.frame_final_duration:4} {s.get('bmd_model', '-')!s:15} {clip:>14}  {prompt}")
    return lines


def contact_sheet(result: dict, out: Path) -> Path:
    """Each shot's clip as the scene shows it: its first, middle and last frame, one row per shot."""
    from PIL import Image, ImageDraw

    scene = result["scene"]
    scene.render.resolution_percentage = 50
    scene.render.image_settings.file_format = "PNG"
    rows = []
    for number, text, clip in result["clips"]:
        start, length = int(clip.frame_final_start), int(clip.frame_final_duration)
        tiles = []
        for label, frame in (("first", start), ("middle", start + length // 2), ("last", start + length - 1)):
            scene.frame_set(frame)
            scene.render.filepath = str(out / "frames" / f"shot{number}_{label}.png")
            bpy.ops.render.render(write_still=True)
            tile = Image.open(scene.render.filepath).convert("RGB")
            ImageDraw.Draw(tile).text((6, tile.height - 18), f"{label}: scene frame {frame}", fill=(255, 255, 255),
                                      stroke_width=2, stroke_fill=(0, 0, 0))
            tiles.append(tile)
        # (the default bitmap font has no arrow or dash: plain ASCII)
        caption = (f"shot {number}: {clip['bmd_model']}, {clip['bmd_frames']} frames at {clip['bmd_fps']:g} fps"
                   f" -> {length} frames at {FPS} fps (text strip {int(text.frame_final_start)}-"
                   f"{int(text.frame_final_end) - 1})" + (", continues shot 4" if number == 5 else "")
                   + (", first + last frame" if number == 4 else "") + (", the kept take of 3" if number == 2 else ""))
        rows.append((caption, tiles))
    width = sum(t.width for t in rows[0][1]) + 8 * 4
    row_height = rows[0][1][0].height + 30
    sheet = Image.new("RGB", (width, row_height * len(rows) + 8), (20, 20, 20))
    draw = ImageDraw.Draw(sheet)
    for r, (caption, tiles) in enumerate(rows):
        y = 8 + r * row_height
        draw.text((8, y), caption, fill=(255, 230, 120))
        x = 8
        for tile in tiles:
            sheet.paste(tile, (x, y + 18))
            x += tile.width + 8
    path = out / "contact_sheet.png"
    sheet.save(path)
    return path
