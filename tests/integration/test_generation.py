"""The client against a real Director server over loopback (gradio 5.29 and gradio 6)."""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.enums import EngineName, JobState, Phase
from blender_movie_director.common.errors import GenerationFailedError, InvalidSettingsError, JobCancelledError
from blender_movie_director.common.messages import API_VERSION
from tests.waiting import wait_until

pytestmark = pytest.mark.server

SHOT = {"model_type": "t2v_1.3B", "prompt": "a paper boat drifting down a rainy street",
        "resolution": "448x256", "video_length": 21, "num_inference_steps": 12}


def wait_all(jobs, timeout: float = 60.0, poll: float = 0.02) -> dict[str, list]:
    """Poll every job until all are done; returns the statuses each one showed."""
    seen: dict[str, list] = {job.id: [] for job in jobs}
    deadline = time.monotonic() + timeout
    while not all(job.done() for job in jobs):
        assert time.monotonic() < deadline, "jobs did not finish in time"
        for job in jobs:
            seen[job.id].append(job.status())
        time.sleep(poll)
    return seen


def test_server_status_and_catalog(client: Wan2GPClient, server) -> None:
    status = client.server_status()
    assert status.engine is EngineName.SIMULATED and status.api_version == API_VERSION
    assert status.gradio_version.split(".")[0] in ("5", "6")
    ids = {m.id for m in client.list_models()}
    assert {"t2v", "t2v_1.3B", "i2v", "i2v_2_2", "ti2v_2_2", "vace_14B", "hunyuan", "ltxv_distilled",
            "ltx2_distilled", "flux"} <= ids
    ltx = client.get_model("ltx2_distilled")
    assert (ltx.fps, ltx.frames_minimum, ltx.frames_step) == (24, 17, 8)
    defaults = client.model_defaults("t2v")
    assert (defaults["resolution"], defaults["video_length"], defaults["num_inference_steps"]) == ("832x480", 81, 30)
    assert client.list_loras("t2v").supported


def test_submit_progress_then_a_real_mp4(client: Wan2GPClient, tmp_path: Path) -> None:
    job = client.submit({**SHOT, "seed": 1234}, simulation={"step_seconds": 0.05})
    seen = wait_all([job])[job.id]
    result = job.result(timeout=30)

    steps = [s.step for s in seen if s.phase is Phase.INFERENCE and s.step]
    assert len(set(steps)) >= 3, f"too few progress updates: {steps}"
    assert steps == sorted(steps) and max(steps) <= 12
    progress = [s.progress for s in seen if s.state is JobState.RUNNING]
    assert progress == sorted(progress) and 0 < progress[-1] < 1
    assert job.status().state is JobState.SUCCEEDED

    assert result.video_path.parent == client.output_dir and result.video_path.exists()
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(result.video_path))
    meta = next(imageio_ffmpeg.read_frames(str(result.video_path)))
    assert (frames, meta["fps"], tuple(meta["size"])) == (21, 16.0, (448, 256))
    assert (result.frames, result.fps, result.width, result.height, result.seed) == (21, 16.0, 448, 256, 1234)
    sidecar = json.loads(result.sidecar_path.read_text())
    assert sidecar["settings"]["prompt"] == SHOT["prompt"] and sidecar["seed"] == 1234
    assert result.total_seconds >= result.generation_seconds > 0


def test_downloads_leave_nothing_in_the_temp_folder(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clips are fetched straight into the client's own download folder and moved out of it: no empty
    /tmp/<40 hex> folder per clip (gradio_client's own download leaves one), nothing once closed."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    with Wan2GPClient(server.url, output_dir=tmp_path / "clips") as client:
        clips = [client.generate({**SHOT, "num_inference_steps": 2}, simulation={"step_seconds": 0}, timeout=60)
                 for _ in range(2)]
        assert [p.name for p in temp.iterdir()] == [Path(client._download_dir).name]  # its own folder only
        assert not any(Path(client._download_dir).iterdir())  # each clip moved out of it
    assert all(clip.video_path.stat().st_size > 0 for clip in clips)
    assert list(temp.iterdir()) == []


def test_random_seed_comes_back_as_the_seed_used(client: Wan2GPClient) -> None:
    result = client.generate({**SHOT, "num_inference_steps": 2}, timeout=30)
    assert result.seed >= 0 and result.settings.seed == result.seed


def test_four_jobs_run_one_at_a_time_with_queue_rank(client: Wan2GPClient) -> None:
    jobs = [client.submit({**SHOT, "prompt": f"shot {i}"}, simulation={"step_seconds": 0.04}) for i in range(4)]
    seen = wait_all(jobs)
    results = [job.result(timeout=30) for job in jobs]
    assert all(r.video_path.exists() for r in results)
    queued = [s for statuses in seen.values() for s in statuses if s.state is JobState.QUEUED]
    assert queued, "no job was ever seen waiting in the queue"
    assert max(s.queue_rank or 0 for s in queued) >= 1
    spans = sorted((r.started_at, r.finished_at) for r in results)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, f"two jobs overlapped on the server: {spans}"


def test_cancel_mid_job_stops_the_server_and_the_next_waits(client: Wan2GPClient, server) -> None:
    long_job = client.submit({**SHOT, "num_inference_steps": 200}, simulation={"step_seconds": 0.05})
    wait_until(lambda: long_job.status().state is JobState.RUNNING, 20, "the long job to start")
    next_job = client.submit({**SHOT, "prompt": "the next shot"}, simulation={"step_seconds": 0.02})
    wait_until(lambda: (long_job.status().step or 0) >= 3, 20, "the long job to get going")
    assert next_job.status().state is JobState.QUEUED
    started = time.monotonic()
    long_job.cancel()
    cancel_seconds = time.monotonic() - started
    with pytest.raises(JobCancelledError):
        long_job.result(timeout=10)
    assert long_job.status().state is JobState.CANCELLED
    follow_up = next_job.result(timeout=30)

    records = {r.job_id: r for r in client.server_jobs()}
    cancelled = records[long_job.id]
    assert cancelled.state is JobState.CANCELLED
    assert cancelled.step < 200, "the server ran the cancelled job to the end"
    assert follow_up.started_at >= cancelled.finished_at, "the next job overlapped the cancelled one"
    assert cancel_seconds < 5
    time.sleep(0.3)  # the server's step count must not move after the cancel
    assert {r.job_id: r for r in client.server_jobs()}[long_job.id].step == cancelled.step


def test_cancel_a_queued_job_it_never_runs(client: Wan2GPClient) -> None:
    running = client.submit({**SHOT, "num_inference_steps": 40}, simulation={"step_seconds": 0.05})
    # surely holding the GPU before the second arrives
    wait_until(lambda: (running.status().step or 0) >= 1, 10, "the first job to start")
    queued = client.submit({**SHOT, "num_inference_steps": 40}, simulation={"step_seconds": 0.05})
    wait_until(lambda: queued.status().state is JobState.QUEUED, 10, "the second job waiting in the queue")
    queued.cancel()
    with pytest.raises(JobCancelledError):
        queued.result(timeout=10)
    assert not running.done(), "cancelling a queued job waited for the running one"
    assert queued.status().state is JobState.CANCELLED
    running.result(timeout=30)
    time.sleep(0.3)  # its turn has come and gone: the server skipped it without running it
    record = {r.job_id: r for r in client.server_jobs()}.get(queued.id)
    assert record is None or (record.started_at is None and record.state is JobState.CANCELLED)


def test_engine_failure_arrives_typed_with_its_stage(client: Wan2GPClient) -> None:
    job = client.submit(SHOT, simulation={"fail_at_step": 4})
    with pytest.raises(GenerationFailedError) as caught:
        job.result(timeout=30)
    assert caught.value.stage == "inference" and "step 4" in caught.value.message
    assert job.status().state is JobState.FAILED


@pytest.mark.parametrize(("overrides", "field"), [
    ({"video_length": 22}, "video_length"),
    ({"prompt": ""}, "prompt"),
    ({"model_type": "no_such_model"}, "model_type"),
    ({"resolution": "1000x1000"}, "resolution"),
    ({"seed": "lucky"}, "seed"),
    ({"activated_loras": ["missing.safetensors"]}, "activated_loras"),
])
def test_invalid_settings_are_refused_before_sending(client: Wan2GPClient, mocker, overrides, field) -> None:
    client.list_models()  # the catalog is fetched once; nothing after it may reach /generate
    spy = mocker.spy(client._gradio, "submit")
    with pytest.raises(InvalidSettingsError) as caught:
        client.submit({**SHOT, **overrides})
    assert caught.value.field == field
    assert all(call.kwargs.get("api_name") != "/generate" for call in spy.call_args_list)


def test_quick_and_high_quality_helpers_pick_models_by_category(client: Wan2GPClient) -> None:
    quick = client.generate_quick_video("a kite over the dunes", seconds=1.0, resolution="448x256",
                                        num_inference_steps=2)
    assert quick.settings.model_type == "t2v_1.3B" and quick.frames == 17
    best = client.generate_high_quality_video("a kite over the dunes", seconds=1.0, resolution="448x256",
                                              num_inference_steps=2)
    assert best.settings.model_type == "t2v" and best.frames == 17
