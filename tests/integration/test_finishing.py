"""Looks, cast and finishing against a real simulated Director server (gradio 5.29 and 6): LoRAs, several
reference images and the preset reach the engine and show on the frame; Upscale, Smooth and Add Sound
are jobs like any other (progress, cancel, fetched again by id) whose results are what they say."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from blender_movie_director.client.finishing import finish_settings
from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.enums import JobState, Phase
from blender_movie_director.common.errors import InvalidSettingsError, JobCancelledError
from blender_movie_director.common.finishing import FinishOperation
from blender_movie_director.common.job_lookup import ServerJobState
from blender_movie_director.server.engines.render import read_clip_metadata
from tests.waiting import wait_until

pytestmark = pytest.mark.server

SHOT = {"model_type": "vace_1.3B", "prompt": "two knights at a castle gate", "resolution": "448x256",
        "video_length": 17, "num_inference_steps": 3, "seed": 77}
RED, BLUE = (250, 20, 20), (20, 20, 250)


def frame(path: Path, index: int = 8) -> np.ndarray:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    for n, chunk in enumerate(reader):
        if n == index:
            reader.close()
            return np.frombuffer(chunk, dtype=np.uint8).reshape(height, width, 3)
    raise AssertionError(f"{path.name} has fewer than {index + 1} frames")


def has_colour(picture: np.ndarray, colour: tuple[int, int, int], at_least: int = 100) -> bool:
    close = np.all(np.abs(picture.astype(int) - np.array(colour)) < 40, axis=-1)
    return int(close.sum()) >= at_least


def audio_streams(path: Path) -> str:
    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True, check=False)
    return "\n".join(line for line in done.stderr.splitlines() if "Audio:" in line)


@pytest.fixture(scope="module")
def shot_clip(server, tmp_path_factory: pytest.TempPathFactory):
    """A clip of two cast members (red and blue reference images) with two LoRAs and a preset."""
    folder = tmp_path_factory.mktemp("cast")
    Image.new("RGB", (60, 90), RED).save(folder / "anna.png")
    Image.new("RGB", (60, 90), BLUE).save(folder / "bob.png")
    with Wan2GPClient(server.url, output_dir=folder / "clips") as client:
        result = client.generate({
            **SHOT, "image_refs": str(folder / "anna.png"), "image_refs_more": [str(folder / "bob.png")],
            "cast": ["Anna", "Bob"], "preset": {"name": "Cinematic", "prompt": "two knights"},
            "activated_loras": ["film_grain.safetensors", "rainy_mood.safetensors"], "loras_multipliers": [0.7, 1.3]},
            timeout=60)
    return result


def test_cast_loras_and_preset_reach_the_engine_and_show(shot_clip) -> None:
    settings = shot_clip.settings
    assert settings.cast == ("Anna", "Bob") and settings.preset is not None and settings.preset.name == "Cinematic"
    assert settings.activated_loras == ("film_grain.safetensors", "rainy_mood.safetensors")
    assert settings.loras_multipliers == (0.7, 1.3)
    sidecar = json.loads(Path(shot_clip.sidecar_path).read_text())
    assert sidecar["settings"]["preset"]["name"] == "Cinematic" and sidecar["settings"]["cast"] == ["Anna", "Bob"]
    used = read_clip_metadata(shot_clip.video_path)  # what the engine ran with, as Wan2GP records it
    assert [Path(p).name for p in used["image_refs"]] == ["anna.png", "bob.png"]
    assert (used["activated_loras"], used["loras_multipliers"]) == (
        ["film_grain.safetensors", "rainy_mood.safetensors"], "0.7 1.3")
    picture = frame(shot_clip.video_path)
    assert has_colour(picture, RED) and has_colour(picture, BLUE), "the reference images are not on the frame"


def test_reference_images_only_for_a_model_that_takes_them(client: Wan2GPClient, shot_clip, tmp_path: Path) -> None:
    image = tmp_path / "ref.png"
    Image.new("RGB", (32, 32), RED).save(image)
    with pytest.raises(InvalidSettingsError) as caught:
        client.submit({**SHOT, "model_type": "t2v_1.3B", "image_refs": str(image), "cast": ["Anna"]})
    assert caught.value.field == "cast" and "does not take reference images" in caught.value.message
    with pytest.raises(InvalidSettingsError) as caught:
        client.submit({**SHOT, "activated_loras": ["nope.safetensors"]})
    assert caught.value.field == "activated_loras" and "nope.safetensors" in caught.value.message
    with pytest.raises(InvalidSettingsError) as caught:
        client.submit({**SHOT, "activated_loras": ["film_grain.safetensors"], "loras_multipliers": [11]})
    assert caught.value.field.startswith("loras_multipliers")


def test_upscale_smooth_and_add_sound(client: Wan2GPClient, shot_clip) -> None:
    source = shot_clip.video_path
    up = client.generate(finish_settings(source, FinishOperation.UPSCALE, like=shot_clip.settings, scale=2.0,
                                         source_job_id=shot_clip.job_id), timeout=60)
    assert (up.width, up.height, up.frames, up.fps) == (896, 512, 17, 16.0)
    assert frame(up.video_path).shape == (512, 896, 3)
    assert up.settings.finish is not None and up.settings.finish.source_job_id == shot_clip.job_id
    assert up.settings.prompt == shot_clip.settings.prompt and up.seed == shot_clip.seed  # the same clip, finished
    assert read_clip_metadata(up.video_path)["spatial_upsampling"] == "lanczos2"

    smooth = client.generate(finish_settings(source, FinishOperation.SMOOTH, like=shot_clip.settings, fps=24),
                             timeout=60)
    assert (smooth.frames, smooth.fps, smooth.width) == (25, 24.0, 448)  # 17 frames at 16 fps → 25 at 24: 1 s

    sound = client.generate(finish_settings(source, FinishOperation.ADD_SOUND, like=shot_clip.settings,
                                            sound_prompt="hooves on cobbles"), timeout=60)
    assert sound.has_audio and "Audio:" in audio_streams(sound.video_path)
    assert not audio_streams(source), "the source clip had sound already"
    assert read_clip_metadata(sound.video_path)["postprocess_audio_prompt"] == "hooves on cobbles"


def test_a_finishing_job_has_progress_cancel_and_can_be_fetched_again(client: Wan2GPClient, shot_clip) -> None:
    slow = finish_settings(shot_clip.video_path, FinishOperation.UPSCALE, like=shot_clip.settings, scale=1.5)
    job = client.submit(slow, simulation={"step_seconds": 0.1})
    wait_until(lambda: job.status().step, 30, "a finishing step")
    status = job.status()
    assert status.state is JobState.RUNNING and status.phase is Phase.INFERENCE and status.total_steps == 17
    job.cancel()
    with pytest.raises(JobCancelledError):
        job.result(timeout=30)

    done = client.submit(slow)
    result = done.result(timeout=60)
    lookup, fetched = client.job_result(done.id)  # a client that lost it fetches it, not renders it again
    assert lookup.state is ServerJobState.SUCCEEDED and fetched is not None and fetched.stat().st_size > 0
    assert lookup.reply is not None and lookup.reply.settings.finish is not None
    assert (result.width, result.height) == (672, 384)


def test_finishing_refuses_what_it_cannot_do(client: Wan2GPClient, shot_clip, tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    Image.new("RGB", (32, 32), RED).save(still)
    with pytest.raises(InvalidSettingsError) as caught:
        client.submit(finish_settings(still, FinishOperation.SMOOTH, fps=24))
    assert caught.value.field == "finish.operation"
    with pytest.raises(InvalidSettingsError) as caught:
        client.generate(finish_settings(shot_clip.video_path, FinishOperation.SMOOTH, fps=12), timeout=30)
    assert caught.value.field == "finish.fps" and "16 fps" in caught.value.message
    image = client.generate(finish_settings(still, FinishOperation.UPSCALE, scale=4.0), timeout=30)
    assert (image.width, image.height, image.frames) == (128, 128, 1)


def test_paths_in_a_request_are_refused(server, shot_clip) -> None:
    """Media travel as uploads only: a path in image_refs_more or in finish.source names the server's disk."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from blender_movie_director.common import protocol
    from blender_movie_director.common.messages import GenerateRequest

    caller = Client(server.url, verbose=False, headers={protocol.CLIENT_ID_HEADER: protocol.new_client_id()})
    try:
        sneaky = shot_clip.settings.without_media().model_copy(update={"image_refs_more": (Path("/etc/passwd"),)})
        request = GenerateRequest(job_id="sneaky-refs-1", settings=sneaky).model_dump_json()
        with pytest.raises(AppError, match="image_refs_more"):
            caller.predict(request, *[None] * len(protocol.MEDIA_SLOTS), api_name=protocol.GENERATE)
        finishing = finish_settings(shot_clip.video_path, FinishOperation.UPSCALE, like=shot_clip.settings)
        request = GenerateRequest(job_id="sneaky-finish-1", settings=finishing).model_dump_json()  # the path kept
        with pytest.raises(AppError, match=r"finish\.source"):
            caller.predict(request, None, api_name=protocol.FINISH)
        request = GenerateRequest(job_id="sneaky-finish-2", settings=finishing.without_media()).model_dump_json()
        with pytest.raises(AppError, match=r"finish\.source"):
            caller.predict(request, None, api_name=protocol.FINISH)  # no clip uploaded
        plain = GenerateRequest(job_id="sneaky-finish-3", settings=shot_clip.settings.without_media()).model_dump_json()
        with pytest.raises(AppError, match="finish"):
            caller.predict(plain, None, api_name=protocol.FINISH)  # nothing to do
    finally:
        caller.close()
