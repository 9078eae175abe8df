"""Models beyond text-to-video on the simulated engine, over loopback (gradio 5.29 and gradio 6):
Wan 2.2, a model that needs a start image, reference images, sound, and two-pass progress."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PIL import Image

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.enums import JobState, MediaInput, OutputKind, Phase
from blender_movie_director.common.errors import InvalidSettingsError
from blender_movie_director.server.engines.render import read_clip_metadata

pytestmark = pytest.mark.server

SHOT = {"prompt": "a paper boat drifting down a rainy street", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 4}


def still(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 120, 40)).save(path)
    return path


@pytest.mark.parametrize(("model_type", "fps"), [("t2v_2_2", 16.0), ("ti2v_2_2", 24.0), ("i2v_2_2", 16.0)])
def test_wan_2_2_models_generate(client: Wan2GPClient, tmp_path: Path, model_type: str, fps: float) -> None:
    model = client.get_model(model_type)
    assert (model.family, model.family_name) == ("wan2_2", "Wan2.2")
    shot = {**SHOT, "model_type": model_type}
    if model.required_inputs:
        shot["image_start"] = still(tmp_path / "first.png")
    clip = client.generate(shot, timeout=60)
    assert (clip.frames, clip.fps, clip.width, clip.height) == (17, fps, 448, 256)


def test_a_model_needing_a_start_image_is_refused_before_sending_then_runs_with_one(
        client: Wan2GPClient, tmp_path: Path, mocker) -> None:
    shot = {**SHOT, "model_type": "chrono_edit"}
    shot.pop("video_length")
    sent = mocker.spy(client._require(), "submit")
    with pytest.raises(InvalidSettingsError) as refused:
        client.submit(shot)
    assert refused.value.field == "image_start"
    assert str(refused.value).startswith("image_start: chrono_edit needs a start image — ")
    assert "image" in refused.value.hint and "Retry" not in str(refused.value)
    assert not [c for c in sent.call_args_list if c.kwargs.get("api_name") == "/generate"], "nothing may be sent"
    edited = client.generate({**shot, "image_start": still(tmp_path / "boat.png")}, timeout=60)
    assert edited.frames == 1 and edited.video_path.suffix == ".png"


def test_a_reference_image_travels_in_its_own_slot(client: Wan2GPClient, tmp_path: Path) -> None:
    shot = {**SHOT, "model_type": "flux_dev_kontext"}
    shot.pop("video_length")
    with pytest.raises(InvalidSettingsError, match="image_refs: flux_dev_kontext needs a reference image"):
        client.submit(shot)
    picture = client.generate({**shot, "image_refs": still(tmp_path / "ref.png")}, timeout=60)
    assert picture.frames == 1
    with Image.open(picture.video_path) as image:  # the simulated engine keeps the settings in the PNG
        received = json.loads(image.info["comment"])
    assert received["image_refs"] and Path(received["image_refs"][0]).name.endswith(".png")


def test_a_sound_model_makes_sound(client: Wan2GPClient) -> None:
    model = client.get_model("ace_step_v1_5")
    assert model.output is OutputKind.AUDIO and model.family_name == "Music"
    result = client.generate({"model_type": "ace_step_v1_5", "prompt": "[Verse] paper boats in the rain",
                              "duration_seconds": 2, "num_inference_steps": 2}, timeout=60)
    assert result.video_path.suffix == ".wav" and result.has_audio and result.frames == 0
    assert result.settings.duration_seconds == 2
    with pytest.raises(InvalidSettingsError, match="duration_seconds"):
        client.submit({"model_type": "ace_step_v1_5", "prompt": "x", "duration_seconds": 9999})
    with pytest.raises(InvalidSettingsError, match="makes sound"):
        client.submit({"model_type": "ace_step_v1_5", "prompt": "x", "video_length": 17})
    assert read_clip_metadata(result.video_path)["model_type"] == "ace_step_v1_5"  # a real wav, with its settings


def test_two_pass_progress_covers_both_passes_and_never_goes_back(client: Wan2GPClient) -> None:
    # LTX-2 (like Wan2GP's) denoises twice, its step count starting again at the second pass
    job = client.submit({**SHOT, "model_type": "ltx2_distilled", "num_inference_steps": 8},
                        simulation={"step_seconds": 0.06})
    seen = []
    deadline = time.monotonic() + 60
    while not job.done():
        assert time.monotonic() < deadline
        seen.append(job.status())
        time.sleep(0.01)
    job.result(timeout=30)
    running = [s for s in seen if s.state is JobState.RUNNING]
    progress = [s.progress for s in running]
    assert progress == sorted(progress), "the bar went back"
    steps = [(s.stage, s.step, s.total_steps) for s in running if s.phase is Phase.INFERENCE and s.step]
    stages = list(dict.fromkeys(stage for stage, _, _ in steps))
    assert stages == ["pass 1/2", "pass 2/2"], stages
    assert {total for stage, _, total in steps if stage == "pass 2/2"} == {3}  # counted from 0 again
    first_pass = [s.progress for s in running if s.stage == "pass 1/2" and s.step]
    second_pass = [s.progress for s in running if s.stage == "pass 2/2" and s.step]
    assert max(first_pass) <= 0.5 + 1e-9 < max(second_pass)  # each pass has its half of the bar
    etas = [s.eta_seconds for s in running if s.stage == "pass 1/2" and s.eta_seconds is not None]
    assert etas and etas[0] > 0, "the ETA covers the second pass too"
    assert MediaInput.IMAGE_START in client.get_model("ltx2_distilled").media_inputs
