"""Looks, cast, finishing and the clip library in real Blender (the bpy module) against the simulated server:
a preset round-trips through the preferences and reaches the job; two LoRAs with multipliers reach the
server; a cast member's images reach a reference-image model; Upscale, Smooth and Add Sound land above
their source; the library lists every clip of a session after reopening the .blend and places one again."""

from __future__ import annotations

import json
from pathlib import Path

import bpy
import pytest

from devtools.blender import jobs_finished
from tests.blender.media import frame_colours, read_metadata, stream_facts

RED, BLUE = (250, 20, 20, 255), (20, 20, 250, 255)


@pytest.fixture(autouse=True)
def forget_afterwards(addon, scene):
    """This module's jobs leave the job list afterwards (other modules look jobs up by model), and its
    look and cast are cleared."""
    yield
    manager = addon.ui.addon.manager()
    for record in manager.jobs(project=addon.ui.projects.journal_path()):
        if record.state.is_terminal:
            manager.forget(record.id)
    look = bpy.context.scene.movie_director_look
    look.preset, look.lora_model = "", ""
    look.loras.clear()
    look.cast.clear()


def strips(scene):
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def generated(scene, **tags):
    return [s for s in strips(scene) if "bmd_model" in s and all(s.get(k) == v for k, v in tags.items())]


def set_shot(scene, prompt: str, *, model: str = "t2v_1.3B", frames: int = 17, steps: int = 3, channel: int = 2):
    props = scene.movie_director
    props.model_group = "text_to_video"
    props.model = model
    props.prompt = prompt
    props.negative_prompt = ""
    props.use_seconds = False
    props.frames = frames
    props.resolution = "448x256"
    props.steps = steps
    props.channel = channel
    scene.frame_current = 1


def png(path: Path, colour: tuple[int, int, int, int]) -> Path:
    image = bpy.data.images.new(path.stem, 48, 72)
    image.pixels[:] = [c / 255 for c in colour] * (48 * 72)
    image.filepath_raw = str(path)
    image.file_format = "PNG"
    image.save()
    bpy.data.images.remove(image)
    return path


def jobs(addon):
    """This test's jobs (each test has a .blend, so a journal, of its own)."""
    return addon.ui.addon.manager().jobs(project=addon.ui.projects.journal_path())


def errors(addon) -> list[str]:
    return [r.error for r in jobs(addon) if r.error] + list(addon.ui.tick._placement_errors.values())


def test_a_preset_round_trips_through_the_preferences_and_reaches_the_job(addon, scene, drive, tmp_path: Path) -> None:
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    prefs.user_presets.clear()
    set_shot(scene, "rain on a neon street, {prompt}")
    scene.movie_director.negative_prompt = "sunshine"
    scene.movie_director.steps = 4
    assert bpy.ops.movie_director.preset_from_shot(name="Neon Rain", use_as_look=False) == {"FINISHED"}
    assert [p.name for p in prefs.user_presets] == ["Neon Rain"]
    assert (prefs.user_presets[0].prompt_template, prefs.user_presets[0].negative_prompt,
            prefs.user_presets[0].steps) == ("rain on a neon street, {prompt}", "sunshine", 4)
    assert bpy.ops.movie_director.rename_preset(old_name="Neon Rain", new_name="Neon Night") == {"FINISHED"}
    exported = tmp_path / "looks.json"
    assert bpy.ops.movie_director.export_presets(filepath=str(exported)) == {"FINISHED"}
    assert json.loads(exported.read_text())["presets"][0]["name"] == "Neon Night"
    assert bpy.ops.movie_director.delete_preset(name="Neon Night") == {"FINISHED"}
    assert len(prefs.user_presets) == 0
    assert bpy.ops.movie_director.import_presets(filepath=str(exported)) == {"FINISHED"}
    assert [p.name for p in prefs.user_presets] == ["Neon Night"]

    set_shot(scene, "a fox crossing", steps=0)
    scene.movie_director_look.preset = "Neon Night"
    assert bpy.ops.movie_director.generate() == {"FINISHED"}
    assert scene.movie_director.prompt == "a fox crossing"  # the user's words are never rewritten
    drive(jobs_finished(addon))
    assert not errors(addon)
    (clip,) = generated(scene)
    settings = json.loads(clip["bmd_settings"])
    assert settings["prompt"] == "rain on a neon street, a fox crossing"
    assert settings["negative_prompt"] == "sunshine" and settings["num_inference_steps"] == 4
    assert settings["preset"] == {"name": "Neon Night", "prompt": "a fox crossing", "negative_prompt": ""}
    assert clip["bmd_preset"] == "Neon Night"
    sidecar = json.loads(Path(bpy.path.abspath(clip.filepath)).with_suffix(".json").read_text())
    assert sidecar["settings"]["preset"]["name"] == "Neon Night"
    assert read_metadata(Path(bpy.path.abspath(clip.filepath)))["prompt"] == "rain on a neon street, a fox crossing"
    scene.movie_director_look.preset = ""
    prefs.user_presets.clear()


def test_two_loras_with_multipliers_reach_the_server(addon, scene, drive) -> None:
    set_shot(scene, "a lake at dawn")
    assert bpy.ops.movie_director.add_lora(name="film_grain.safetensors") == {"FINISHED"}
    assert bpy.ops.movie_director.add_lora(name="rainy_mood.safetensors") == {"FINISHED"}
    look = scene.movie_director_look
    look.loras[0].multiplier, look.loras[1].multiplier = 0.7, 1.3
    loras = addon.ui.loras
    loras.request(scene)
    loras.lists().wait(10)
    assert set(loras.known(scene)) >= {"film_grain.safetensors", "rainy_mood.safetensors"}  # the server's list
    assert bpy.ops.movie_director.generate() == {"FINISHED"}
    drive(jobs_finished(addon))
    assert not errors(addon)
    (clip,) = generated(scene)
    used = read_metadata(Path(bpy.path.abspath(clip.filepath)))  # what the engine ran with
    assert (used["activated_loras"], used["loras_multipliers"]) == (
        ["film_grain.safetensors", "rainy_mood.safetensors"], "0.7 1.3")
    assert clip["bmd_loras"] == "film_grain.safetensors:0.7 rainy_mood.safetensors:1.3"

    look.loras[1].name = "not_on_the_server.safetensors"  # refused before it is sent: the job says why
    assert bpy.ops.movie_director.generate() == {"FINISHED"}
    drive(jobs_finished(addon))
    failed = [r for r in jobs(addon) if r.state.value == "failed"]
    assert failed and "not_on_the_server.safetensors" in failed[-1].error
    look.loras.clear()


def test_a_cast_members_images_reach_a_reference_image_model(addon, scene, drive, tmp_path: Path) -> None:
    cast = addon.ui.cast
    cast.add_member(scene, "Anna", [str(png(tmp_path / "anna_front.png", RED)),
                                    str(png(tmp_path / "anna_side.png", BLUE))], in_shot=True)
    cast.add_member(scene, "Bob", [str(png(tmp_path / "bob.png", RED))], in_shot=False)
    set_shot(scene, "a woman walks through a market", model="t2v_1.3B")
    with pytest.raises(RuntimeError, match="does not take reference images"):
        bpy.ops.movie_director.generate()  # said before anything is queued
    assert not strips(scene)
    set_shot(scene, "a woman walks through a market", model="vace_1.3B")
    scene.movie_director.model_group = "control_edit"
    scene.movie_director.model = "vace_1.3B"
    assert bpy.ops.movie_director.generate() == {"FINISHED"}
    drive(jobs_finished(addon))
    assert not errors(addon)
    (clip,) = generated(scene)
    settings = json.loads(clip["bmd_settings"])
    assert settings["cast"] == ["Anna"] and clip["bmd_cast"] == "Anna"
    path = Path(bpy.path.abspath(clip.filepath))
    used = read_metadata(path)
    assert [Path(p).name for p in used["image_refs"]] == ["anna_front.png", "anna_side.png"]
    colours = frame_colours(path, 8)
    assert colours["red"] > 100 and colours["blue"] > 100, "the reference images are not on the frame"
    scene.movie_director_look.cast.clear()


def _source_clip(addon, scene, drive, prompt: str):
    set_shot(scene, prompt, frames=17)
    assert bpy.ops.movie_director.generate() == {"FINISHED"}
    drive(jobs_finished(addon))
    (source,) = generated(scene, bmd_prompt=prompt)
    scene.sequence_editor.active_strip = source
    return source


def test_upscale_and_smooth_land_above_their_source(addon, scene, drive) -> None:
    source = _source_clip(addon, scene, drive, "a harbour at dusk")
    assert bpy.ops.movie_director.upscale_strip(scale="2") == {"FINISHED"}
    placeholder = next(s for s in strips(scene) if s.get("bmd_placeholder"))
    assert placeholder.channel > source.channel and placeholder.frame_final_start == source.frame_final_start
    drive(jobs_finished(addon))
    assert not errors(addon)
    (up,) = generated(scene, bmd_finish="upscale")
    assert up.type == "MOVIE" and up.channel > source.channel
    assert (up.frame_final_start, up.frame_final_duration) == (source.frame_final_start, source.frame_final_duration)
    assert up["bmd_source"] == source.name and up["bmd_source_job_id"] == source["bmd_server_job_id"]
    assert up["bmd_resolution"] == "896x512" and source["bmd_resolution"] == "448x256"
    assert up["bmd_seed"] == source["bmd_seed"] and up["bmd_prompt"] == source["bmd_prompt"]
    assert stream_facts(Path(bpy.path.abspath(up.filepath)))["size"] == (896, 512)
    assert "finish" not in json.loads(up["bmd_settings"]) or json.loads(up["bmd_settings"])["finish"] is None
    scene.sequence_editor.active_strip = up  # Regenerate on a finished clip makes its shot again
    assert bpy.ops.movie_director.regenerate(variation=False) == {"FINISHED"}
    drive(jobs_finished(addon))
    assert not errors(addon)
    again = [s for s in generated(scene) if s.get("bmd_prompt") == "a harbour at dusk" and not s.get("bmd_finish")]
    assert len(again) == 2 and {s["bmd_seed"] for s in again} == {source["bmd_seed"]}

    scene.sequence_editor.active_strip = source
    assert bpy.ops.movie_director.smooth_strip() == {"FINISHED"}  # to the scene's 24 fps
    drive(jobs_finished(addon))
    assert not errors(addon)
    (smooth,) = generated(scene, bmd_finish="smooth")
    assert smooth.channel > source.channel and smooth.frame_final_start == source.frame_final_start
    assert smooth.frame_final_duration == source.frame_final_duration
    assert (smooth["bmd_frames"], smooth["bmd_fps"]) == (25, 24.0)  # 17 frames at 16 fps → 25 at 24: the same second
    assert smooth["bmd_source"] == source.name


def test_add_sound_lands_on_a_sound_channel_above(addon, scene, drive) -> None:
    source = _source_clip(addon, scene, drive, "a horse on cobbles")
    if not bpy.app.build_options.audaspace:
        pytest.skip("this bpy build has no Audaspace: Blender cannot add sound strips at all")
    assert bpy.ops.movie_director.add_sound_strip(source="PICTURE", prompt="hooves") == {"FINISHED"}
    drive(jobs_finished(addon))
    assert not errors(addon)
    (sound,) = [s for s in strips(scene) if s.type == "SOUND" and s.get("bmd_finish") == "add_sound"]
    assert sound.channel > source.channel and sound.frame_final_start == source.frame_final_start
    assert sound["bmd_source"] == source.name
    assert stream_facts(Path(bpy.path.abspath(sound.sound.filepath)))["audio"]

    scene.sequence_editor.active_strip = source
    assert bpy.ops.movie_director.add_sound_strip(source="MUSIC", prompt="a slow waltz") == {"FINISHED"}
    drive(jobs_finished(addon))
    assert not errors(addon)
    (music,) = [s for s in strips(scene) if s.type == "SOUND" and s.get("bmd_model") == "ace_step_v1_5"]
    assert music.frame_final_start == source.frame_final_start and music.channel > source.channel
    assert music["bmd_source"] == source.name
    assert abs(json.loads(music["bmd_settings"])["duration_seconds"] - source.frame_final_duration / 24) < 0.02


def test_the_library_keeps_every_clip_across_reopening_and_places_one_again(addon, scene, drive, tmp_path: Path) -> None:
    for prompt in ("first take of a lighthouse", "second take of a lighthouse"):
        set_shot(scene, prompt)
        bpy.ops.movie_director.generate()
        drive(jobs_finished(addon))
    (first,) = generated(scene, bmd_prompt="first take of a lighthouse")
    scene.sequence_editor.active_strip = first
    bpy.ops.movie_director.upscale_strip(scale="2")
    drive(jobs_finished(addon))
    assert not errors(addon)
    assert bpy.ops.movie_director.clear_finished() == {"FINISHED"}  # the Jobs list forgets them: the library does not
    path = tmp_path / "library.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    scene = bpy.context.scene
    library = addon.ui.library
    wm = bpy.context.window_manager
    listed = [item.name for item in wm.movie_director_library]
    assert sorted(listed) == ["first take of a lighthouse", "first take of a lighthouse", "second take of a lighthouse"]
    upscaled = next(e for e in library.entries() if e.finish)
    assert "Upscale ×2" in upscaled.describe() and "896x512" in upscaled.describe()
    assert "t2v_1.3B" in upscaled.describe() and "seed" in upscaled.describe()
    assert len(library.previews()) == 3  # thumbnails: Blender's deferred previews, decoded off the main thread

    wm.movie_director_library_search = "second"
    shown = [i for i in wm.movie_director_library if all(w in i.haystack for w in ["second"])]
    assert [i.name for i in shown] == ["second take of a lighthouse"]
    second = next(e for e in library.entries() if e.prompt.startswith("second"))
    before = len(generated(scene))
    scene.frame_current = 120
    assert bpy.ops.movie_director.library_place(key=second.key) == {"FINISHED"}
    placed = [s for s in generated(scene) if s.get("bmd_library_key") == second.key]
    assert len(generated(scene)) == before + 1 and len(placed) == 1
    assert placed[0].frame_final_start == 120 and placed[0]["bmd_prompt"] == "second take of a lighthouse"
    assert Path(bpy.path.abspath(placed[0].filepath)) == second.clip

    scene.movie_director.prompt = "something else"
    assert bpy.ops.movie_director.library_load(key=second.key) == {"FINISHED"}
    props = scene.movie_director
    assert (props.prompt, props.model, props.seed, props.random_seed) == (
        "second take of a lighthouse", "t2v_1.3B", second.result.seed, False)

    opened: list[Path] = []
    library._open_folder = opened.append
    assert bpy.ops.movie_director.library_reveal(key=second.key) == {"FINISHED"}
    assert opened == [second.clip.parent]


def test_the_panels_show_the_look_the_cast_finishing_and_the_library(addon, scene, drive, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from devtools.recording_layout import RecordingLayout

    def draw(name: str) -> RecordingLayout:
        layout = RecordingLayout()
        getattr(bpy.types, name).draw(SimpleNamespace(layout=layout), bpy.context)
        return layout

    source = _source_clip(addon, scene, drive, "a lantern in fog")
    scene.movie_director_look.preset = "Film Noir"
    addon.ui.cast.add_member(scene, "Anna", [str(png(tmp_path / "anna.png", RED))], in_shot=True)
    look = draw("MOVIE_DIRECTOR_PT_look")
    text = " ".join(look.texts())
    assert "preset" in look.props() and "black and white film noir" in text
    assert "t2v_1.3B takes no reference images" in text  # the cast cannot be shown to this model: said before queueing
    assert {"movie_director.add_lora", "movie_director.preset_from_shot"} <= set(look.operators())
    cast = draw("MOVIE_DIRECTOR_PT_cast")
    assert "In this shot: Anna" in cast.texts() and "movie_director.add_cast_images" in cast.operators()
    scene.sequence_editor.active_strip = source
    finishing = draw("MOVIE_DIRECTOR_PT_finish")
    assert {"movie_director.upscale_strip", "movie_director.smooth_strip",
            "movie_director.add_sound_strip"} <= set(finishing.operators())
    addon.ui.library.refresh()
    shelf = draw("MOVIE_DIRECTOR_PT_library")
    assert "movie_director_library_search" in shelf.props() and "movie_director.library_place" in shelf.operators()
    assert any("a lantern in fog" in t for t in shelf.texts())
    menu = RecordingLayout()
    bpy.types.MOVIE_DIRECTOR_MT_finish.draw(SimpleNamespace(layout=menu), bpy.context)
    assert len(menu.operators()) == 3
    scene.movie_director_look.preset = ""
    scene.movie_director_look.cast.clear()


def test_clips_made_before_the_first_save_stay_in_the_library(addon, scene, drive, tmp_path: Path) -> None:
    bpy.ops.wm.read_homefile(use_empty=True)  # an unsaved file: clips go to the extension's user folder
    scene = bpy.context.scene
    scene.render.fps = 24
    set_shot(scene, "made before saving")
    bpy.ops.movie_director.generate()
    drive(jobs_finished(addon))
    library = addon.ui.library
    assert [e.prompt for e in library.refresh()] == ["made before saving"]
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "first_save.blend"))
    (entry,) = library.entries()
    assert entry.exists and entry.clip.parent == tmp_path / "movie_director"  # moved in with the project
    assert library.library_path() == tmp_path / "movie_director" / "first_save.library.json"
    bpy.ops.wm.read_homefile(use_empty=True)  # a new file in the same session, then its first save
    assert library.refresh() == []
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "second.blend"))
    assert library.entries() == []  # the first file's clips were carried over once, not into every new file


def test_the_look_lists_remove_the_selected_item_and_select_the_one_before(addon, scene, tmp_path: Path) -> None:
    look, cast = scene.movie_director_look, addon.ui.cast
    cast.add_member(scene, "Anna", [str(tmp_path / "front.png"), str(tmp_path / "side.png")])
    cast.add_member(scene, "Anna")  # a name taken: numbered
    cast.add_member(scene, "Bob")
    assert [m.name for m in look.cast] == ["Anna", "Anna 2", "Bob"]
    look.cast_index = 1
    assert bpy.ops.movie_director.remove_cast_member() == {"FINISHED"}
    assert ([m.name for m in look.cast], look.cast_index) == (["Anna", "Bob"], 0)
    anna = look.cast[0]
    anna.image_index = 1
    assert bpy.ops.movie_director.remove_cast_image() == {"FINISHED"}
    assert ([Path(i.filepath).name for i in anna.images], anna.image_index) == (["front.png"], 0)
    for name in ("film_grain.safetensors", "rainy_mood.safetensors"):
        assert bpy.ops.movie_director.add_lora(name=name) == {"FINISHED"}
    assert bpy.ops.movie_director.remove_lora() == {"FINISHED"}
    assert [p.name for p in look.loras] == ["film_grain.safetensors"] and look.lora_index == 0
    look.loras.clear()
    look.cast.clear()
    assert bpy.ops.movie_director.remove_lora() == {"FINISHED"}  # an empty list: nothing to remove, no error
