"""The demo's look, cast, finishing and library part (imported by demo.py, after the sequence).

In the demo's saved .blend: a style preset of the user's own (saved to the preferences from the shot,
exported and imported again) with two LoRAs and a cast member whose reference image is a frame of the
sequence, on a reference-image model; then the shot is upscaled ×2, smoothed to the scene's 24 fps and
given sound; then the library lists every clip of the project and one is placed again at the end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import bpy

from devtools.blender import drive, jobs_finished

SHOT = "The keeper stands in the doorway of the lighthouse, looking out to sea"


def _wait(addon, what: str) -> None:
    drive(addon, jobs_finished(addon), timeout=300)
    project = addon.ui.projects.journal_path()
    failed = [r for r in addon.ui.addon.manager().jobs(project=project) if r.state.value == "failed"]
    if failed:
        raise RuntimeError(f"{what}: " + "; ".join(f"{r.label[:40]}: {r.error}" for r in failed))


def _reference_still(scene, out: Path) -> Path:
    """A frame of the sequence's close-up, as the cast member's reference image."""
    path = out / "frames" / "keeper_reference.png"
    scene.render.resolution_percentage = 50
    scene.render.image_settings.file_format = "PNG"
    scene.frame_set(60)
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path


def show(addon, out: Path) -> dict:
    started = time.monotonic()
    scene = bpy.context.scene
    end = int(scene.frame_end) + 1
    props = scene.movie_director

    # a preset of the user's own: saved from the shot, exported, deleted, imported again
    props.prompt, props.negative_prompt = "moonlit, silver-blue night, {prompt}", "daylight"
    bpy.ops.movie_director.preset_from_shot(name="Moonlit Keeper", use_as_look=False)
    exported = out / "presets.json"
    bpy.ops.movie_director.export_presets(filepath=str(exported))
    bpy.ops.movie_director.delete_preset(name="Moonlit Keeper")
    bpy.ops.movie_director.import_presets(filepath=str(exported))
    look = scene.movie_director_look
    look.preset = "Moonlit Keeper"

    # the shot: a reference-image model, the keeper as a cast member, two LoRAs
    addon.ui.cast.add_member(scene, "Keeper", [str(_reference_still(scene, out))], in_shot=True)
    props.model_group, props.model = "control_edit", "vace_1.3B"
    props.prompt, props.negative_prompt = SHOT, ""
    props.use_seconds, props.seconds, props.resolution, props.steps, props.channel = True, 2.0, "832x480", 8, 2
    bpy.ops.movie_director.add_lora(name="film_grain.safetensors")
    bpy.ops.movie_director.add_lora(name="rainy_mood.safetensors")
    look.loras[0].multiplier, look.loras[1].multiplier = 0.6, 1.2
    scene.frame_current = end
    bpy.ops.movie_director.generate()
    _wait(addon, "the look shot")
    (shot,) = [s for s in _strips(scene) if s.get("bmd_prompt", "").endswith(SHOT) and not s.get("bmd_finish")]

    # finishing: each lands above the shot
    finished = {}
    for operation, call in (("upscale", lambda: bpy.ops.movie_director.upscale_strip(scale="2")),
                            ("smooth", lambda: bpy.ops.movie_director.smooth_strip()),
                            ("add_sound", lambda: bpy.ops.movie_director.add_sound_strip(source="PICTURE",
                                                                                         prompt="wind and surf"))):
        scene.sequence_editor.active_strip = shot
        call()
        _wait(addon, operation)
        finished[operation] = next(s for s in _strips(scene) if s.get("bmd_finish") == operation)
    scene.frame_end = end + int(shot.frame_final_duration) - 1

    # the library: every clip of the project, one placed again after the shot
    bpy.ops.wm.save_mainfile()
    entries = addon.ui.library.refresh()
    first = entries[-1]  # the oldest: the sequence's first shot
    scene.frame_current = int(scene.frame_end) + 1
    bpy.ops.movie_director.library_place(key=first.key)
    bpy.ops.wm.save_mainfile()
    return {"shot": shot, "finished": finished, "entries": entries, "replaced": first,
            "preset": json.loads(exported.read_text())["presets"][0], "seconds": time.monotonic() - started,
            "sidecar": json.loads(Path(bpy.path.abspath(shot.filepath)).with_suffix(".json").read_text())}


def lines(result: dict) -> list[str]:
    shot, settings = result["shot"], result["sidecar"]["settings"]
    sent = json.loads(shot["bmd_settings"])  # as queued, with its media
    preset = result["preset"]
    said = [f"look: preset '{preset['name']}' ({preset['prompt_template']!r}, avoid {preset['negative_prompt']!r}) "
            f"saved from the shot, exported, imported again",
            f"shot: {shot['bmd_model']} with {shot['bmd_loras']}, cast {settings['cast']} "
            f"({len([sent.get('image_refs'), *sent.get('image_refs_more', [])]) if sent.get('image_refs') else 0} "
            f"reference image(s)), prompt sent: {settings['prompt'][:70]!r}"]
    for operation, strip in result["finished"].items():
        facts = (f"{strip['bmd_resolution']}, {strip['bmd_frames']} frames at {strip['bmd_fps']:g} fps"
                 if strip.type == "MOVIE" else "sound strip")
        said.append(f"{operation:9} → {strip.name[:34]:34} channel {strip.channel} above {shot.channel}, {facts}")
    said.append(f"library: {len(result['entries'])} clips of this project; placed again at frame "
                f"{int(bpy.context.scene.frame_end) + 1}: {result['replaced'].prompt[:50]!r}")
    for entry in result["entries"][:4]:
        said.append(f"  {entry.prompt[:28]:28} {entry.describe()[:140]}")
    said.append(f"(looks, finishing and library: {result['seconds']:.1f} s)")
    return said


def _strips(scene) -> list:
    editor = scene.sequence_editor
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)
