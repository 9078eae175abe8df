"""The wangp engine against the fake Wan2GP (WanGP 12.60's shared/api.py): two LoRAs with their
multipliers and a cast's reference images reach Wan2GP's task as its own keys; Upscale, Smooth and Add
Sound go through submit_media_postprocessing / submit_audio_remux and come back as what they say."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from blender_movie_director.client.finishing import finish_settings
from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.errors import GenerationFailedError, InvalidSettingsError
from blender_movie_director.common.finishing import FinishOperation
from blender_movie_director.launcher import process as launcher
from blender_movie_director.server.engines.render import read_clip_metadata
from tests.conftest import wan2gp_copy

pytestmark = pytest.mark.server

SHOT = {"model_type": "vace_1.3B", "prompt": "two knights at a castle gate", "resolution": "448x256",
        "video_length": 17, "num_inference_steps": 3}
LORAS = ["fake_film_grain.safetensors", "fake_rain.safetensors"]


@pytest.fixture(scope="module")
def wangp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[launcher.ServerProcess, Path]]:
    base = tmp_path_factory.mktemp("wangp-looks")
    root = wan2gp_copy(base)
    (root / "loras" / "wan" / "fake_rain.safetensors").write_bytes(b"")  # a second LoRA in Wan's folder
    config = launcher.LaunchConfig(python=launcher.find_wan2gp_python(root), state_dir=base / "state",
                                   output_dir=base / "state" / "outputs", port=0, wan2gp_dir=root,
                                   wan2gp_args=["--profile", "4"])
    server = launcher.start_server(config, wait_timeout=90)
    yield server, base
    server.stop()


@pytest.fixture(scope="module")
def made(wangp) -> Iterator[tuple[Wan2GPClient, object, Path]]:
    server, base = wangp
    Image.new("RGB", (60, 90), (250, 20, 20)).save(base / "anna.png")
    Image.new("RGB", (60, 90), (20, 20, 250)).save(base / "bob.png")
    with Wan2GPClient(server.url, output_dir=base / "clips") as client:
        assert set(LORAS) <= set(client.list_loras("vace_1.3B").loras)
        result = client.generate({**SHOT, "activated_loras": LORAS, "loras_multipliers": [0.7, 1.3],
                                  "image_refs": str(base / "anna.png"), "image_refs_more": [str(base / "bob.png")],
                                  "cast": ["Anna", "Bob"]}, timeout=120)
        yield client, result, base


def test_two_loras_and_a_cast_reach_wan2gp_as_its_own_keys(made) -> None:
    _, result, _ = made
    used = read_clip_metadata(result.video_path)  # what wgp.generate_media got, as the fake records it
    assert used["activated_loras"] == LORAS and used["loras_multipliers"] == "0.7 1.3"
    assert [Path(p).name for p in used["image_refs"]] == ["anna.png", "bob.png"]
    assert "I" in used["video_prompt_type"]  # Wan2GP's API inferred the reference-image letter from the images
    assert result.settings.cast == ("Anna", "Bob")


def test_unknown_loras_are_refused_before_sending(made) -> None:
    client, _, _ = made
    with pytest.raises(InvalidSettingsError) as caught:
        client.submit({**SHOT, "activated_loras": ["fake_film_grain.safetensors", "missing.safetensors"]})
    assert caught.value.field == "activated_loras" and "missing.safetensors" in caught.value.message


def test_finishing_with_wan2gps_late_post_processing(made) -> None:
    client, result, _ = made
    up = client.generate(finish_settings(result.video_path, FinishOperation.UPSCALE, like=result.settings,
                                         scale=2.0), timeout=120)
    assert (up.width, up.height, up.frames) == (896, 512, 17)
    assert read_clip_metadata(up.video_path)["spatial_upsampling"] == "lanczos2"
    assert up.video_path.name.endswith("_post.mp4")  # Wan2GP's own name for a post-processed clip

    smooth = client.generate(finish_settings(result.video_path, FinishOperation.SMOOTH, like=result.settings,
                                             fps=24), timeout=120)
    assert (smooth.fps, smooth.frames) == (24.0, 25)  # RIFE ×2 made 33 frames at 32 fps; resampled to 24 fps
    assert read_clip_metadata(smooth.video_path)["temporal_upsampling"] == "rife2"

    sound = client.generate(finish_settings(result.video_path, FinishOperation.ADD_SOUND, like=result.settings,
                                            sound_prompt="hooves"), timeout=120)
    assert sound.has_audio
    used = read_clip_metadata(sound.video_path)
    assert (used["postprocess_audio"], used["postprocess_audio_prompt"]) == ("mmaudio", "hooves")


def test_wan2gps_own_refusal_reaches_the_user(made) -> None:
    client, result, _ = made
    with pytest.raises((GenerationFailedError, InvalidSettingsError)) as caught:
        client.generate(finish_settings(result.video_path, FinishOperation.SMOOTH, like=result.settings, fps=200),
                        timeout=60)
    assert "×4" in str(caught.value)
