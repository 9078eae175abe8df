"""Wan2GP's published model metadata → our ModelInfo (engines/wangp_catalog.py), no Wan2GP needed.

The records are what the real WanGP 12.60 returned (tests/fake_wan2gp/recording/), plus a few made
up to show what older APIs and families nobody has seen yet become.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest

from blender_movie_director.common.catalog import CATALOG
from blender_movie_director.common.enums import (
    RESOLUTIONS,
    MediaInput,
    ModelCategory,
    ModelGroup,
    OutputKind,
    TaskKind,
)
from blender_movie_director.common.model_info import ModelInfo
from blender_movie_director.server.engines.wangp_catalog import fallback_catalog, model_info_from, sort_catalog
from tests.recorded import recorded_models, recorded_parts

M = MediaInput
# WanGP 12.60's families (recording README): 192 video and image models, 25 sound models
VIDEO_AND_IMAGE = {"wan": 50, "wan2_2": 32, "ltx2": 25, "flux": 11, "kandinsky5": 9, "z_image": 9, "flux2": 8,
                   "hunyuan": 8, "hunyuan_1_5": 8, "qwen": 8, "krea2": 4, "longcat": 4, "magi_human": 4,
                   "minimax_h3": 4, "hidream": 3, "ideogram4": 3, "ltxv": 2}
SOUND = {"music": 15, "tts": 10}


def recorded(model_type: str) -> ModelInfo:
    model = model_info_from(*copy.deepcopy(recorded_parts(model_type)))
    assert model is not None, model_type
    return model


@pytest.fixture(scope="module")
def catalog() -> dict[str, ModelInfo]:
    return {model_type: recorded(model_type) for model_type in recorded_models()}


def test_every_recorded_model_is_offered_under_wan2gps_own_family(catalog: dict[str, ModelInfo]) -> None:
    assert len(catalog) == 217
    pictures = Counter(m.family for m in catalog.values() if m.output is not OutputKind.AUDIO)
    sound = Counter(m.family for m in catalog.values() if m.output is OutputKind.AUDIO)
    assert dict(pictures) == VIDEO_AND_IMAGE and sum(pictures.values()) == 192
    assert dict(sound) == SOUND and sum(sound.values()) == 25
    for model_type, model in catalog.items():
        record = recorded_models()[model_type]["metadata"]
        assert (model.name, model.family, model.family_label) == (record["name"], record["family"],
                                                                  record["family_label"])
        assert not model.available  # the recording machine had no weights
    outputs = Counter(m.output for m in catalog.values())
    assert outputs == {OutputKind.VIDEO: 144, OutputKind.IMAGE: 48, OutputKind.AUDIO: 25}  # image+video is video


def test_wan_2_2_is_its_own_family_with_its_real_rules(catalog: dict[str, ModelInfo]) -> None:
    for model_type in ("t2v_2_2", "i2v_2_2", "ti2v_2_2", "vace_14B_2_2"):
        assert (catalog[model_type].family, catalog[model_type].family_name) == ("wan2_2", "Wan2.2")
    t2v, i2v, ti2v = catalog["t2v_2_2"], catalog["i2v_2_2"], catalog["ti2v_2_2"]
    assert (t2v.fps, t2v.frames_minimum, t2v.frames_step, t2v.frames_maximum) == (16, 5, 4, 97)
    assert (t2v.default_guidance_scale, t2v.default_flow_shift, t2v.required_inputs) == (4.0, 12.0, ())
    assert i2v.required_inputs == (M.IMAGE_START,) and i2v.accepts(M.IMAGE_END)
    assert (ti2v.fps, ti2v.frames_maximum, ti2v.default_resolution, ti2v.default_frames) == (24, 121, "1280x720", 121)
    assert ti2v.required_inputs == () and ti2v.accepts(M.IMAGE_START)  # text, or text and a first frame
    assert t2v.group is ModelGroup.TEXT_TO_VIDEO and i2v.group is ModelGroup.IMAGE_TO_VIDEO
    assert {ModelGroup.TEXT_TO_VIDEO, ModelGroup.IMAGE_TO_VIDEO} <= set(ti2v.groups)


def test_what_a_model_needs_and_takes_comes_from_its_metadata(catalog: dict[str, ModelInfo]) -> None:
    # image_prompt_type "S" by default: a start image, or Wan2GP says "You must provide a Start Image"
    chrono = catalog["chrono_edit"]
    assert chrono.output is OutputKind.IMAGE and chrono.required_inputs == (M.IMAGE_START,)
    assert chrono.media_inputs == (M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE)
    # video_prompt_type "KI": reference images ("You must provide at least one Reference Image")
    kontext = catalog["flux_dev_kontext"]
    assert kontext.required_inputs == (M.IMAGE_REFS,) and kontext.group is ModelGroup.IMAGE
    assert catalog["t2v_1.3B"].media_inputs == () and catalog["t2v_1.3B"].required_inputs == ()
    assert catalog["t2v"].media_inputs == (M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.VIDEO_MASK)  # continue, video-to-video
    vace = catalog["vace_14B"]
    assert set(vace.media_inputs) >= {M.VIDEO_GUIDE, M.IMAGE_REFS} and vace.required_inputs == ()
    assert ModelGroup.CONTROL_EDIT in vace.groups and TaskKind.CONTROL in vace.tasks
    assert catalog["hunyuan_avatar"].required_inputs == (M.IMAGE_REFS, M.AUDIO_GUIDE)
    assert catalog["multitalk"].required_inputs == (M.IMAGE_START, M.AUDIO_GUIDE)
    assert catalog["multitalk"].category is ModelCategory.CONTROL
    assert catalog["steadydancer"].required_inputs == (M.IMAGE_START, M.VIDEO_GUIDE, M.VIDEO_MASK)
    assert catalog["qwen_image_layered_20B"].required_inputs == (M.IMAGE_GUIDE,)  # "V" forced: a control image
    assert catalog["phantom_14B"].required_inputs == (M.IMAGE_REFS,)  # its only reference choice is "I"
    assert catalog["k5_lite_i2v"].required_inputs == (M.IMAGE_START,)
    for model in catalog.values():
        assert set(model.required_inputs) <= set(model.media_inputs)
        assert model.works_from(set(model.required_inputs)), model.id


def test_ltx2_as_wan2gp_describes_it(catalog: dict[str, ModelInfo]) -> None:
    ltx = catalog["ltx2_distilled"]
    assert (ltx.fps, ltx.frames_minimum, ltx.frames_step, ltx.frames_maximum) == (24, 17, 8, 481)
    assert (ltx.default_resolution, ltx.default_frames, ltx.default_steps) == ("832x480", 241, 8)
    assert ltx.audio_output and ltx.output is OutputKind.VIDEO and ltx.category is ModelCategory.FAST
    assert {M.IMAGE_START, M.IMAGE_END, M.AUDIO_GUIDE} <= set(ltx.media_inputs) and ltx.required_inputs == ()
    assert ModelGroup.FIRST_LAST_FRAME in ltx.groups


def test_sound_models_are_offered_as_sound(catalog: dict[str, ModelInfo]) -> None:
    music, voice = catalog["ace_step_v1_5"], catalog["qwen3_tts_customvoice"]
    assert (music.output, music.category, music.group, music.fps) == (OutputKind.AUDIO, ModelCategory.AUDIO,
                                                                      ModelGroup.AUDIO, 0)
    assert (music.default_seconds, music.family_name, music.tasks) == (120.0, "Music", (TaskKind.TEXT_TO_AUDIO,))
    assert voice.family_name == "TTS" and voice.required_inputs == ()
    assert catalog["chatterbox"].required_inputs == (M.AUDIO_GUIDE,)  # a voice to clone
    assert "sound" in music.frame_grid


def test_a_family_never_seen_is_kept_under_wan2gps_label() -> None:
    record, schema, defaults = copy.deepcopy(recorded_parts("t2v_1.3B"))
    for name in ("model_type", "family", "family_label", "name", "main_output"):
        schema["metadata"].pop(name)  # the record alone says it
    record.update(model_type="brand_new_t2v", family="brand_new", family_label="Brand New 3", name="Brand New T2V")
    model = model_info_from(record, schema, defaults)
    assert model is not None and (model.family, model.family_name) == ("brand_new", "Brand New 3")
    record.update(family_label="")
    assert model_info_from(record, schema, defaults).family_name == "brand_new"
    record.update(family="")
    assert model_info_from(record, schema, defaults).family == "other"
    record.update(main_output=["hologram"])
    assert model_info_from(record, schema, defaults) is None  # nothing we can place


def test_a_default_size_outside_the_common_list_is_still_offered() -> None:
    model = recorded("ltx2_25_22B")
    assert "1280x704" not in RESOLUTIONS and "1280x704" in model.resolutions
    assert model.default_resolution == "1280x704" and model.is_valid_frame_count(model.default_frames)


def test_older_apis_fall_back_the_way_wan2gp_does() -> None:
    # 12.0x: the schema carried the raw model_def, no frames_maximum; no availability before 12.24
    record = {**copy.deepcopy(recorded_parts("t2v")[0]), "setting_values": {}}
    record.pop("availability")
    old_schema = {"metadata": {}, "model_def": {"fps": 16, "frames_minimum": 5, "frames_steps": 4,
                                                 "sliding_window": False}}
    model = model_info_from(record, old_schema, {"resolution": "832x480", "video_length": 82})
    assert model is not None and (model.fps, model.frames_maximum, model.available) == (16, 97, True)
    assert model.default_frames == 81  # an off-grid default is snapped onto the grid
    assert model_info_from(record, {"metadata": {"fps": None}}, {}) is None  # a video model without fps


def test_the_simulated_catalog_says_what_wan2gp_says() -> None:
    for model in CATALOG:
        real = recorded(model.id)
        assert model.model_copy(update={"available": False, "vram_gb": None, "description": ""}) == \
            real.model_copy(update={"description": ""}), model.id
    assert {"t2v_2_2", "i2v_2_2", "ti2v_2_2", "chrono_edit", "flux_dev_kontext", "ace_step_v1_5"} <= {
        m.id for m in CATALOG}


def test_our_preferred_models_come_first(tmp_path: Path) -> None:
    models = [recorded(i) for i in ("animate", "t2v_1.3B", "t2v")]
    assert [m.id for m in sort_catalog(models)] == ["t2v", "t2v_1.3B", "animate"]
    (tmp_path / "defaults").mkdir()
    for model_id in ("t2v", "flux"):
        (tmp_path / "defaults" / f"{model_id}.json").write_text("{}")
    assert [m.id for m in fallback_catalog(tmp_path)] == ["t2v", "flux"]
