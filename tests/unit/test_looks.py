"""Style presets, reference images, cast and finishing specs: the rules, without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blender_movie_director.common.catalog import MODELS_BY_ID
from blender_movie_director.common.errors import InvalidSettingsError
from blender_movie_director.common.finishing import FinishOperation, FinishSpec, rife_factor, smoothed_frame_count
from blender_movie_director.common.presets import (
    BUILTIN_PRESETS,
    StylePreset,
    apply_preset,
    find_preset,
    preset_from_shot,
    presets_from_json,
    presets_to_json,
    unique_name,
)
from blender_movie_director.common.settings import GenerationSettings, parse_settings

SHOT = {"model_type": "t2v_1.3B", "prompt": "a fox in {deep} snow", "negative_prompt": "blur", "video_length": 17}


def test_a_preset_wraps_the_users_words_and_records_them() -> None:
    noir = find_preset("Film Noir")
    assert noir is not None
    applied = apply_preset(noir, SHOT)
    assert applied["prompt"].startswith("a fox in {deep} snow, black and white film noir")  # braces stay text
    assert applied["negative_prompt"] == "blur, colour, bright, cheerful"
    assert applied["preset"] == {"name": "Film Noir", "prompt": "a fox in {deep} snow", "negative_prompt": "blur"}
    assert SHOT["prompt"] == "a fox in {deep} snow"  # the user's text is never changed
    settings = parse_settings(applied)
    assert settings.preset is not None and settings.preset.name == "Film Noir"
    assert "preset" not in settings.to_wan2gp()  # the record stays ours: Wan2GP gets the filled prompt only


def test_a_presets_settings_fill_only_what_the_shot_leaves_unset() -> None:
    draft = find_preset("Quick Draft")
    assert draft is not None and draft.steps == 8 and draft.resolution == "448x256"
    assert apply_preset(draft, SHOT)["num_inference_steps"] == 8
    assert apply_preset(draft, {**SHOT, "num_inference_steps": 20})["num_inference_steps"] == 20  # the shot wins
    assert apply_preset(draft, SHOT)["resolution"] == "448x256"
    assert "resolution" not in apply_preset(draft, SHOT, resolutions=("832x480",))  # not offered by the model
    sound = {"model_type": "ace_step_v1", "prompt": "a march", "duration_seconds": 5}
    assert "resolution" not in apply_preset(draft, sound)  # sound has no picture size


def test_presets_round_trip_through_json_and_refuse_bad_files(tmp_path: Path) -> None:
    mine = [StylePreset(name="Moody", prompt_template="moody blue night, {prompt}", negative_prompt="sun",
                        steps=12, guidance=6.5, resolution="832x480")]
    text = presets_to_json(mine)
    assert json.loads(text)["format"] == "blender_movie_director.presets"
    assert presets_from_json(text) == mine
    assert presets_from_json(json.dumps([p.model_dump() for p in mine])) == mine  # a bare list is fine too
    for bad, field in (("not json", "presets"), ('{"format": "other", "presets": []}', "presets"),
                       ('{"presets": [{"name": "X", "prompt_template": "no placeholder"}]}', "presets[1]"),
                       ('{"presets": [{"name": "X", "resolution": "123x45"}]}', "presets[1]")):
        with pytest.raises(InvalidSettingsError) as caught:
            presets_from_json(bad)
        assert caught.value.field == field


def test_a_preset_made_from_the_current_shot() -> None:
    cinematic = find_preset("Cinematic")
    made = preset_from_shot("Mine", prompt="rainy neon street, {prompt}", negative_prompt="dry", steps=9)
    assert (made.prompt_template, made.negative_prompt, made.steps) == ("rainy neon street, {prompt}", "dry", 9)
    based = preset_from_shot("Mine 2", prompt="a fox", negative_prompt="blur", based_on=cinematic)
    assert cinematic is not None and based.prompt_template == cinematic.prompt_template
    assert based.negative_prompt.startswith("blur, cartoon")
    assert preset_from_shot("Plain").prompt_template == "{prompt}"
    with pytest.raises(InvalidSettingsError):
        preset_from_shot("   ")
    assert unique_name("Cinematic", []) == "Cinematic 2"  # a shipped name is taken
    assert unique_name("Mine", ["Mine", "Mine 2"]) == "Mine 3"
    assert len({p.name for p in BUILTIN_PRESETS}) == len(BUILTIN_PRESETS) >= 8


def test_several_reference_images_reach_wan2gp_as_one_list() -> None:
    settings = GenerationSettings(model_type="vace_1.3B", prompt="two knights", image_refs=Path("/a.png"),
                                  image_refs_more=(Path("/b.png"), Path("/c.png")), cast=("Anna", "Bob"))
    assert settings.to_wan2gp()["image_refs"] == ["/a.png", "/b.png", "/c.png"]
    assert "cast" not in settings.to_wan2gp() and "image_refs_more" not in settings.to_wan2gp()
    bare = settings.without_media()
    assert bare.image_refs is None and bare.image_refs_more == () and bare.cast == ("Anna", "Bob")
    settings.resolved_for(MODELS_BY_ID["vace_1.3B"])  # a reference-image model takes them
    with pytest.raises(InvalidSettingsError) as caught:
        settings.model_copy(update={"model_type": "t2v_1.3B"}).resolved_for(MODELS_BY_ID["t2v_1.3B"])
    assert caught.value.field == "cast" and "does not take reference images" in caught.value.message
    assert "Anna, Bob" in caught.value.message
    with pytest.raises(InvalidSettingsError):
        GenerationSettings(model_type="vace_1.3B", prompt="x", image_refs_more=(Path("/b.png"),)).resolved_for(
            MODELS_BY_ID["vace_1.3B"])  # more without a first


def test_a_finishing_job_is_not_a_generation() -> None:
    spec = FinishSpec(operation=FinishOperation.UPSCALE, source=Path("/clips/a.mp4"), source_name="a.mp4", scale=2)
    settings = GenerationSettings(model_type="t2v_1.3B", prompt="a fox", finish=spec)
    assert settings.without_media().finish == spec.model_copy(update={"source": None})
    assert "finish" not in settings.to_wan2gp()
    with pytest.raises(InvalidSettingsError) as caught:
        settings.resolved_for(MODELS_BY_ID["t2v_1.3B"])
    assert caught.value.field == "finish"
    assert spec.spatial_upsampling == "lanczos2"
    with pytest.raises(ValueError, match="flashvsr upscales by ×2, ×4"):
        FinishSpec(operation=FinishOperation.UPSCALE, upscaler="flashvsr", scale=1.5)
    with pytest.raises(ValueError, match="frame rate to reach"):
        FinishSpec(operation=FinishOperation.SMOOTH)
    with pytest.raises(ValueError, match="not an upscaler"):
        FinishSpec(operation=FinishOperation.UPSCALE, upscaler="magic")


def test_smoothing_picks_rifes_factor_and_keeps_the_duration() -> None:
    assert rife_factor(16, 24) == 2 and rife_factor(16, 32) == 2 and rife_factor(16, 60) == 4
    assert rife_factor(24, 30) == 2
    for source, target in ((24, 24), (24, 12), (16, 100), (0, 24)):
        with pytest.raises(ValueError):
            rife_factor(source, target)
    assert smoothed_frame_count(17, 16, 24) == 25  # 1 s at 16 fps → 1 s at 24 fps
    assert smoothed_frame_count(81, 16, 32) == 161  # what RIFE ×2 makes: (n-1)·2+1
    assert smoothed_frame_count(1, 16, 24) == 1
