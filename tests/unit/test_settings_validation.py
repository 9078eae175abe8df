"""Bad input is refused with an error that names the field, before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from blender_movie_director.common.catalog import MODELS_BY_ID
from blender_movie_director.common.errors import InvalidSettingsError
from blender_movie_director.common.settings import GenerationSettings, parse_settings

BASE = {"model_type": "t2v_1.3B", "prompt": "a red fox running through snow"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32

# (overrides, field the error must name)
SCHEMA_ERRORS = [
    ({"prompt": ""}, "prompt"),
    ({"prompt": "   \n "}, "prompt"),
    ({"prompt": "x" * 10_001}, "prompt"),
    ({"prompt": None}, "prompt"),
    ({"model_type": ""}, "model_type"),
    ({"seed": "abc"}, "seed"),
    ({"seed": -2}, "seed"),
    ({"seed": 2**33}, "seed"),
    ({"num_inference_steps": -5}, "num_inference_steps"),
    ({"num_inference_steps": 0}, "num_inference_steps"),
    ({"num_inference_steps": 100_000}, "num_inference_steps"),
    ({"video_length": 0}, "video_length"),
    ({"video_length": "many"}, "video_length"),
    ({"resolution": "big"}, "resolution"),
    ({"resolution": "832*480"}, "resolution"),
    ({"guidance_scale": float("nan")}, "guidance_scale"),
    ({"guidance_scale": -1}, "guidance_scale"),
    ({"flow_shift": 1e9}, "flow_shift"),
    ({"negative_prompt": "n" * 10_001}, "negative_prompt"),
    ({"sed": 3}, "sed"),
    ({"extra": {"prompt": "sneaky"}}, "extra"),
    ({"activated_loras": ["a.safetensors"], "loras_multipliers": [1.0, 0.5]}, "settings"),
]

# (model, overrides, field): valid on its own, wrong for the chosen model
MODEL_ERRORS = [
    ("t2v_1.3B", {"video_length": 34}, "video_length"),  # off the 4n+1 grid
    ("t2v_1.3B", {"video_length": 1}, "video_length"),  # below the minimum
    ("t2v_1.3B", {"video_length": 101}, "video_length"),  # beyond one window, no sliding window
    ("t2v", {"video_length": 100_001}, "video_length"),  # beyond even sliding windows
    ("ltx2_distilled", {"video_length": 33 + 4}, "video_length"),  # LTX is 8n+1
    ("vace_14B", {"video_length": 13}, "video_length"),  # VACE starts at 17
    ("t2v_1.3B", {"resolution": "1000x1000"}, "resolution"),
    ("t2v_1.3B", {"resolution": "99999x99999"}, "resolution"),
    ("t2v_1.3B", {"image_start": "IMG"}, "image_start"),  # t2v takes no image
    ("t2v_1.3B", {"image_end": "IMG"}, "image_end"),
    ("i2v", {}, "image_start"),  # i2v needs one
    ("flux", {"video_length": 17}, "video_length"),  # stills only
    ("hunyuan", {"video_guide": "IMG"}, "video_guide"),
]


@pytest.mark.parametrize(("overrides", "field"), SCHEMA_ERRORS, ids=[f for _, f in SCHEMA_ERRORS])
def test_schema_errors_name_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        parse_settings({**BASE, **overrides})
    assert caught.value.field == field
    assert field in str(caught.value)


@pytest.mark.parametrize(("model", "overrides", "field"), MODEL_ERRORS, ids=[f"{m}-{f}" for m, _, f in MODEL_ERRORS])
def test_model_rules_name_the_field(tmp_path: Path, model: str, overrides: dict, field: str) -> None:
    image = tmp_path / "frame.png"
    image.write_bytes(PNG)
    overrides = {k: (image if v == "IMG" else v) for k, v in overrides.items()}
    settings = parse_settings({**BASE, "model_type": model, **overrides})
    with pytest.raises(InvalidSettingsError) as caught:
        settings.resolved_for(MODELS_BY_ID[model])
    assert caught.value.field == field


def test_off_grid_error_suggests_the_nearest_valid_count() -> None:
    settings = parse_settings({**BASE, "video_length": 34})
    with pytest.raises(InvalidSettingsError) as caught:
        settings.resolved_for(MODELS_BY_ID["t2v_1.3B"])
    assert "use 33 frames" in caught.value.hint


def test_resolution_fills_the_models_defaults() -> None:
    resolved = parse_settings({**BASE, "model_type": "ltx2_distilled"}).resolved_for(MODELS_BY_ID["ltx2_distilled"])
    # WanGP 12.60 says 832x480 for it (its own defaults, recorded), 241 frames, 8 steps
    assert (resolved.resolution, resolved.video_length, resolved.num_inference_steps) == ("832x480", 241, 8)
    own = parse_settings({**BASE, "video_length": 17, "num_inference_steps": 4, "guidance_scale": 0.0})
    resolved = own.resolved_for(MODELS_BY_ID["t2v_1.3B"])
    assert (resolved.video_length, resolved.num_inference_steps, resolved.guidance_scale) == (17, 4, 0.0)


def test_settings_map_to_wan2gp_keys() -> None:
    settings = GenerationSettings(**BASE, activated_loras=("a.safetensors", "b.safetensors"),
                                  loras_multipliers=(1.0, 0.5), extra={"sample_solver_x": "euler"})
    data = settings.to_wan2gp()
    assert data["model_type"] == "t2v_1.3B" and data["seed"] == -1
    assert data["activated_loras"] == ["a.safetensors", "b.safetensors"]
    assert data["loras_multipliers"] == "1 0.5"
    assert data["sample_solver_x"] == "euler"
    assert "resolution" not in data  # unset: Wan2GP fills its own default


@pytest.mark.parametrize(("model", "seconds", "frames"), [
    ("t2v", 2.0, 33), ("t2v", 5.0, 81), ("ltx2_distilled", 2.0, 49), ("ltxv_distilled", 1.0, 33),
    ("ti2v_2_2", 5.0, 121), ("t2v_1.3B", 60.0, 97),
])
def test_seconds_snap_to_the_models_grid(model: str, seconds: float, frames: int) -> None:
    info = MODELS_BY_ID[model]
    assert info.frames_for_seconds(seconds) == frames
    assert info.is_valid_frame_count(frames)
