"""Wan2GP's published model metadata → our ModelInfo (engines/wangp_catalog.py), no Wan2GP needed.

Records are shaped as shared/api.py at 8681e9f returns them (wan2gp-python-api.md §3b).
"""

from __future__ import annotations

from pathlib import Path

from blender_movie_director.common.enums import (
    RESOLUTIONS,
    MediaInput,
    ModelCategory,
    ModelFamily,
    OutputKind,
    TaskKind,
)
from blender_movie_director.server.engines.wangp_catalog import fallback_catalog, model_info_from, sort_catalog


def record(model_type: str, *, family: str = "wan", base: str | None = None, main_output=("image", "video"),
           outputs=None, allowed: str = "TVL", start=False, end=False, cont=True, control=False,
           available: bool | None = True, name: str = "") -> dict:
    data = {
        "model_type": model_type, "name": name or model_type, "family": family, "family_label": family,
        "base_model_type": base or model_type, "finetune": False, "main_output": list(main_output),
        "outputs": list(outputs or main_output), "inputs": ["text"],
        "media_inputs": {"image": {"start": start, "end": end}, "video": {"continue": cont, "control": control},
                         "audio": {"prompt": False, "output": False}},
        "capabilities": {}, "setting_values": {"image_prompt_type": {"allowed": allowed, "choices": []},
                                               "video_prompt_type": {"forced": ""}},
    }
    if available is not None:
        data["availability"] = {"model_type": model_type, "status": "available" if available else "missing",
                                "status_code": 2 if available else 0, "available": available}
    return data


def schema(fps=16, minimum=5, steps=4, maximum=97, sliding=True) -> dict:
    return {"metadata": {"fps": fps, "frames_minimum": minimum, "frames_steps": steps, "frames_maximum": maximum,
                         "sliding_window": sliding, "description": "a model"}}


T2V_DEFAULTS = {"resolution": "832x480", "video_length": 81, "num_inference_steps": 30, "guidance_scale": 5,
                "flow_shift": 5.0, "sample_solver": "unipc"}


def test_a_wan_text_to_video_model() -> None:
    model = model_info_from(record("t2v", name="Wan2.1 Text2video 14B", available=False), schema(), T2V_DEFAULTS)
    assert model is not None
    assert (model.family, model.category, model.output) == (ModelFamily.WAN, ModelCategory.HIGH_QUALITY,
                                                            OutputKind.VIDEO)
    assert (model.fps, model.frames_minimum, model.frames_step, model.frames_maximum) == (16, 5, 4, 97)
    assert model.tasks == (TaskKind.TEXT_TO_VIDEO, TaskKind.VIDEO_TO_VIDEO)
    assert (model.default_frames, model.default_steps, model.default_flow_shift) == (81, 30, 5.0)
    assert model.available is False and model.vram_gb is None and model.required_inputs == ()


def test_image_to_video_needs_its_start_image_and_small_or_distilled_models_are_fast() -> None:
    i2v = model_info_from(record("i2v", allowed="SEVL", start=True, end=True), schema(), T2V_DEFAULTS)
    assert i2v.category is ModelCategory.IMAGE_TO_VIDEO and i2v.required_inputs == (MediaInput.IMAGE_START,)
    assert TaskKind.TEXT_TO_VIDEO not in i2v.tasks and TaskKind.FIRST_LAST_FRAME in i2v.tasks
    small = model_info_from(record("t2v_1.3B", name="Wan2.1 Text2video 1.3B"), schema(), T2V_DEFAULTS)
    distilled = model_info_from(record("ltx2_distilled", family="ltx2", base="ltx2_19B", main_output=("video",),
                                       outputs=("video", "audio"), allowed="TVSE", start=True, end=True),
                                schema(24, 17, 8, 241), {**T2V_DEFAULTS, "num_inference_steps": 8,
                                                         "video_length": 241, "resolution": "1280x720"})
    assert small.category is distilled.category is ModelCategory.FAST
    assert distilled.family is ModelFamily.LTX_2 and distilled.audio_output
    assert distilled.required_inputs == () and TaskKind.TEXT_TO_VIDEO in distilled.tasks


def test_vace_is_a_control_model_and_5b_wan_has_its_own_family() -> None:
    vace = model_info_from(record("vace_14B", allowed="", cont=False, control=True), schema(minimum=17),
                           T2V_DEFAULTS)
    assert (vace.family, vace.category) == (ModelFamily.VACE, ModelCategory.CONTROL)
    assert vace.media_inputs == (MediaInput.VIDEO_GUIDE,) and TaskKind.CONTROL in vace.tasks
    ti2v = model_info_from(record("ti2v_2_2", start=True), schema(fps=24, maximum=121), T2V_DEFAULTS)
    assert ti2v.family is ModelFamily.WAN_2_2_5B and ti2v.fps == 24


def test_images_are_offered_and_audio_or_unnamed_families_are_left_out() -> None:
    flux = model_info_from(record("flux", family="flux", main_output=("image",), allowed="", cont=False),
                           schema(fps=None, minimum=None, steps=None, maximum=None, sliding=False),
                           {"resolution": "1024x1024", "num_inference_steps": 30, "guidance_scale": 2.5})
    assert flux.output is OutputKind.IMAGE and flux.tasks == (TaskKind.TEXT_TO_IMAGE,)
    assert (flux.default_frames, flux.default_resolution, flux.default_guidance_scale) == (1, "1024x1024", 2.5)
    assert model_info_from(record("ace_step_v1", family="tts", main_output=("audio",)), None, {}) is None
    assert model_info_from(record("k5_lite_t2v", family="kandinsky5"), schema(fps=24), T2V_DEFAULTS) is None
    assert model_info_from(record("no_fps"), schema(fps=None), T2V_DEFAULTS) is None


def test_a_default_size_outside_the_common_list_is_still_offered() -> None:
    model = model_info_from(record("ltx2_25_22B", family="ltx2", main_output=("video",)), schema(24, 17, 8, 241),
                            {**T2V_DEFAULTS, "resolution": "1280x704", "video_length": 121})
    assert "1280x704" not in RESOLUTIONS and "1280x704" in model.resolutions
    assert model.default_resolution == "1280x704" and model.is_valid_frame_count(model.default_frames)


def test_older_apis_fall_back_the_way_wan2gp_does() -> None:
    # 12.0x: the schema carried the raw model_def, no frames_maximum; no availability before 12.24
    old_schema = {"metadata": {}, "model_def": {"fps": 16, "frames_minimum": 5, "frames_steps": 4,
                                                 "sliding_window": False}}
    model = model_info_from(record("t2v", available=None), old_schema, {**T2V_DEFAULTS, "video_length": 82})
    assert (model.fps, model.frames_maximum, model.available) == (16, 97, True)
    assert model.default_frames == 81  # an off-grid default is snapped onto the grid


def test_our_preferred_models_come_first(tmp_path: Path) -> None:
    models = [model_info_from(record(i), schema(), T2V_DEFAULTS) for i in ("animate", "t2v_1.3B", "t2v")]
    assert [m.id for m in sort_catalog(models)] == ["t2v", "t2v_1.3B", "animate"]
    (tmp_path / "defaults").mkdir()
    for model_id in ("t2v", "flux"):
        (tmp_path / "defaults" / f"{model_id}.json").write_text("{}")
    assert [m.id for m in fallback_catalog(tmp_path)] == ["t2v", "flux"]
