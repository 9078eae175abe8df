"""The launcher and the wangp engine against a fake Wan2GP checkout, end to end over loopback.

tests/fake_wan2gp is laid out like a Wan2GP folder (wgp.py, shared/api.py, defaults/, ckpts/) and
reproduces shared/api.py of WanGP 12.60 (8681e9f). Each test copies it into a temporary folder with
a `venv` that is the server environment (gradio 5.29), so the launcher finds "Wan2GP's own Python"
the way it would on a user's machine, and the real server module runs the wangp engine in it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.enums import (
    EngineName,
    JobState,
    MediaInput,
    ModelCategory,
    ModelFamily,
    OutputKind,
    Phase,
)
from blender_movie_director.common.errors import GenerationFailedError, JobCancelledError, Wan2GPInstallError
from blender_movie_director.common.wan2gp_install import MIN_VERSION
from blender_movie_director.launcher import process as launcher
from blender_movie_director.server.engines.render import read_clip_metadata
from tests.conftest import REPO, SERVER_PYTHONS
from tests.waiting import wait_until

pytestmark = pytest.mark.server

FAKE = REPO / "tests" / "fake_wan2gp"
FAKE_OLD = REPO / "tests" / "fake_wan2gp_old"
SHOT = {"model_type": "t2v_1.3B", "prompt": "a paper boat drifting down a rainy street", "resolution": "448x256",
        "video_length": 17, "num_inference_steps": 8}
FLAGS = ["--profile", "4", "--attention", "sdpa", "--compile"]


def wan2gp_copy(parent: Path, source: Path = FAKE, with_venv: bool = True) -> Path:
    """A Wan2GP folder of the test's own, whose `venv` is the server environment."""
    root = parent / "Wan2GP"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__"))
    python = Path(SERVER_PYTHONS["gradio5"])
    if not python.exists():
        pytest.fail(f"no server environment at {python}: run `bash scripts/setup.sh` first")
    if with_venv:
        (root / "venv").symlink_to(python.parent.parent, target_is_directory=True)
    return root


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and "venv" not in p.relative_to(root).parts[:1]}


def start(root: Path, state: Path, *, args: list[str] | None = None, lines: list[str] | None = None,
          python: Path | None = None) -> launcher.ServerProcess:
    config = launcher.LaunchConfig(python=python or launcher.find_wan2gp_python(root), state_dir=state,
                                   output_dir=state / "outputs", port=0, wan2gp_dir=root,
                                   wan2gp_args=FLAGS if args is None else args)
    return launcher.start_server(config, wait_timeout=90, on_output=None if lines is None else lines.append)


class Started:
    def __init__(self, server: launcher.ServerProcess, root: Path, lines: list[str], digest: dict[str, str]) -> None:
        self.server, self.root, self.lines, self.digest = server, root, lines, digest


@pytest.fixture(scope="module")
def wangp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    base = tmp_path_factory.mktemp("wangp")
    root = wan2gp_copy(base)
    digest = tree_digest(root)
    lines: list[str] = []
    server = start(root, base / "state", lines=lines)
    yield Started(server, root, lines, digest)
    server.stop()


@pytest.fixture
def client(wangp: Started, tmp_path: Path) -> Iterator[Wan2GPClient]:
    with Wan2GPClient(wangp.server.url, output_dir=tmp_path / "clips") as client:
        yield client


def follow(job, timeout: float = 30.0) -> list:
    seen = []
    deadline = time.monotonic() + timeout
    while not job.done():
        assert time.monotonic() < deadline, "the job did not finish in time"
        seen.append(job.status())
        time.sleep(0.01)
    return seen


# ---------------------------------------------------------------- start-up


def test_launcher_runs_the_server_in_wan2gp_python_with_its_flags(wangp: Started, client: Wan2GPClient) -> None:
    assert wangp.server.url.startswith("http://127.0.0.1:")
    shown = "\n".join(wangp.lines)  # what the user watches while it starts
    assert "[fake wgp] WanGP 12.60 starting with profile=4 attention=sdpa compile=True" in shown
    assert "Powered by WanGP v12.60" in shown
    status = client.server_status()
    assert status.engine is EngineName.WANGP and status.wan2gp_version == "12.60"
    assert status.device  # no torch here: the server says so rather than failing
    if Path(f"/proc/{wangp.server.pid}").exists():
        cmdline = Path(f"/proc/{wangp.server.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[0].decode() == str(wangp.root / "venv" / "bin" / "python")
        assert b"--wan2gp-arg=--compile" in cmdline
        environ = dict(item.split(b"=", 1) for item in Path(f"/proc/{wangp.server.pid}/environ").read_bytes()
                       .split(b"\0") if b"=" in item)
        assert environ[b"PYTHONPATH"].decode().split(os.pathsep)[:2] == [str(launcher.PACKAGE_PARENT),
                                                                          str(wangp.root)]


def test_catalog_comes_from_wan2gp_metadata(client: Wan2GPClient) -> None:
    models = {m.id: m for m in client.list_models()}
    # audio (ace_step_v1) has nothing to place; Kandinsky is a family our enums do not name yet
    assert set(models) == {"t2v", "t2v_1.3B", "i2v", "vace_1.3B", "ltx2_distilled", "flux"}
    t2v = models["t2v_1.3B"]
    grid = (t2v.fps, t2v.frames_minimum, t2v.frames_step, t2v.frames_maximum, t2v.sliding_window)
    assert grid == (16, 5, 4, 97, True)
    assert (t2v.family, t2v.category, t2v.available) == (ModelFamily.WAN, ModelCategory.FAST, True)
    assert not models["t2v"].available, "t2v has no weights in ckpts/: availability must say so"
    ltx = models["ltx2_distilled"]
    grid = (ltx.fps, ltx.frames_minimum, ltx.frames_step, ltx.frames_maximum, ltx.audio_output)
    assert grid == (24, 17, 8, 241, True)
    assert (ltx.default_resolution, ltx.default_frames, ltx.default_steps) == ("1280x720", 241, 8)
    assert models["i2v"].required_inputs == (MediaInput.IMAGE_START,)
    assert models["i2v"].category is ModelCategory.IMAGE_TO_VIDEO
    assert (models["vace_1.3B"].family, models["vace_1.3B"].category) == (ModelFamily.VACE, ModelCategory.CONTROL)
    assert MediaInput.VIDEO_GUIDE in models["vace_1.3B"].media_inputs
    assert models["flux"].output is OutputKind.IMAGE and models["flux"].default_resolution == "1024x1024"
    defaults = client.model_defaults("t2v_1.3B")
    assert (defaults["sample_solver"], defaults["settings_version"], defaults["model_type"]) == ("unipc", 2.74,
                                                                                                  "t2v_1.3B")
    assert client.list_loras("t2v_1.3B").loras == ("fake_film_grain.safetensors",)


# ---------------------------------------------------------------- generation


def test_progress_maps_to_phases_and_steps_and_the_clip_arrives(client: Wan2GPClient) -> None:
    job = client.submit({**SHOT, "seed": 1234, "activated_loras": ["fake_film_grain.safetensors"],
                         "loras_multipliers": [0.7], "extra": {"fake_step_seconds": 0.1}})  # steps slow enough to see
    seen = follow(job)
    result = job.result(timeout=30)

    steps = [s.step for s in seen if s.phase is Phase.INFERENCE and s.step is not None]
    assert steps == sorted(steps) and len(set(steps)) >= 3, f"too few step updates: {steps}"
    assert max(steps) < 8 and {s.total_steps for s in seen if s.step is not None} == {8}
    phases = [s.phase for s in seen if s.phase is not None]
    order = [Phase.LOADING_MODEL, Phase.INFERENCE, Phase.DECODING, Phase.SAVING]
    shown = [p for p in dict.fromkeys(phases) if p in order]
    assert shown == sorted(shown, key=order.index) and set(order[:3]) <= set(shown)  # saving may be too brief to see
    progress = [s.progress for s in seen if s.state is JobState.RUNNING]
    assert progress == sorted(progress)

    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(result.video_path))
    meta = next(imageio_ffmpeg.read_frames(str(result.video_path)))
    assert (frames, meta["fps"], tuple(meta["size"])) == (17, 16.0, (448, 256))
    assert (result.frames, result.fps, result.width, result.height, result.seed) == (17, 16.0, 448, 256, 1234)
    used = read_clip_metadata(result.video_path)  # what Wan2GP itself received
    assert (used["prompt"], used["seed"], used["num_inference_steps"], used["sample_solver"]) == (
        SHOT["prompt"], 1234, 8, "unipc")  # sample_solver: Wan2GP's default for this model, filled in
    assert (used["activated_loras"], used["loras_multipliers"]) == (["fake_film_grain.safetensors"], "0.7")


def test_random_seed_is_chosen_and_reported(client: Wan2GPClient) -> None:
    result = client.generate({**SHOT, "num_inference_steps": 2}, timeout=30)
    assert result.seed >= 0 and read_clip_metadata(result.video_path)["seed"] == result.seed


def test_sound_models_and_still_images(client: Wan2GPClient) -> None:
    clip = client.generate({**SHOT, "model_type": "ltx2_distilled", "video_length": 25, "num_inference_steps": 3},
                           timeout=30)
    assert (clip.frames, clip.fps, clip.has_audio) == (25, 24.0, True)
    assert "audio_codec" in next(imageio_ffmpeg.read_frames(str(clip.video_path)))
    still = client.generate({"model_type": "flux", "prompt": "a paper boat", "resolution": "512x512",
                             "num_inference_steps": 2}, timeout=30)
    assert still.video_path.suffix == ".jpg" and (still.frames, still.width, still.height) == (1, 512, 512)


def test_media_go_to_wan2gp_as_uploaded_files_with_their_flags(client: Wan2GPClient, tmp_path: Path) -> None:
    guide = client.generate({**SHOT, "num_inference_steps": 2}, timeout=30).video_path
    result = client.generate({**SHOT, "model_type": "vace_1.3B", "num_inference_steps": 2, "video_guide": guide},
                             timeout=30)
    used = read_clip_metadata(result.video_path)
    assert "V" in used["video_prompt_type"], "a control video needs the V flag or Wan2GP ignores it"
    assert Path(used["video_guide"]).name == guide.name and Path(used["video_guide"]) != guide  # the upload


def test_cancel_mid_job_stops_wan2gp_and_frees_it(client: Wan2GPClient, wangp: Started) -> None:
    job = client.submit({**SHOT, "num_inference_steps": 200, "extra": {"fake_step_seconds": 0.05}})
    wait_until(lambda: (job.status().step or 0) >= 3, 20, "the long job to get going")
    clips_before = set((wangp.server.log_file.parent / "outputs").glob("*.mp4"))
    started = time.monotonic()
    job.cancel()
    with pytest.raises(JobCancelledError):
        job.result(timeout=10)
    assert time.monotonic() - started < 5
    record = {r.job_id: r for r in client.server_jobs()}[job.id]
    assert record.state is JobState.CANCELLED and 3 <= record.step < 200
    assert set((wangp.server.log_file.parent / "outputs").glob("*.mp4")) == clips_before
    # Wan2GP's session is free again: no "already has a generation in progress"
    assert client.generate({**SHOT, "num_inference_steps": 2}, timeout=30).frames == 17


def test_a_failing_step_arrives_as_an_error_with_wan2gp_stage(client: Wan2GPClient) -> None:
    job = client.submit({**SHOT, "extra": {"fake_fail_at_step": 2}})
    with pytest.raises(GenerationFailedError) as caught:
        job.result(timeout=30)
    assert caught.value.stage == "generation" and "fake failure at denoising step 2" in caught.value.message
    assert job.status().state is JobState.FAILED
    with pytest.raises(GenerationFailedError) as refused:
        client.generate({**SHOT, "extra": {"fake_validation_error": "The prompt is too short for this model"}},
                        timeout=30)
    assert refused.value.stage == "validation" and "too short" in refused.value.message


def test_missing_weights_are_reported_by_the_catalog_and_on_generate(client: Wan2GPClient) -> None:
    assert not client.get_model("t2v").available
    job = client.submit({**SHOT, "model_type": "t2v"})
    seen = follow(job)
    with pytest.raises(GenerationFailedError) as caught:
        job.result(timeout=30)
    assert caught.value.stage == "generation" and "locate the file on the Hub" in caught.value.message
    assert Phase.LOADING_MODEL in {s.phase for s in seen} and not any(s.step for s in seen)
    # the catalog is rebuilt after every job (weights may have arrived); these still have not
    assert not {m.id: m for m in client.list_models(refresh=True)}["t2v"].available


def test_wan2gp_folder_is_left_untouched(wangp: Started) -> None:
    assert tree_digest(wangp.root) == wangp.digest


# ---------------------------------------------------------------- refusals and failures at start


def test_old_wan2gp_without_the_api_is_refused_naming_the_minimum_version(tmp_path: Path) -> None:
    root = wan2gp_copy(tmp_path, FAKE_OLD)
    with pytest.raises(Wan2GPInstallError) as caught:
        start(root, tmp_path / "state")
    assert f"v{MIN_VERSION}" in caught.value.message and "v9.82" in caught.value.message
    assert "git pull" in caught.value.hint
    assert not (tmp_path / "state" / "director-server.pid").exists(), "nothing may be started for it"

    script = subprocess.run([sys.executable, str(REPO / "scripts" / "launch_wan2gp.py"), "--wan2gp-dir", str(root),
                             "--state-dir", str(tmp_path / "state"), "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert script.returncode == 1 and f"v{MIN_VERSION}" in script.stderr

    # the server refuses it by itself too, when started without the launcher
    env = {**os.environ, "PYTHONPATH": str(launcher.PACKAGE_PARENT)}
    server = subprocess.run([str(root / "venv" / "bin" / "python"), "-m", launcher.SERVER_MODULE, "--engine", "wangp",
                             "--wan2gp-dir", str(root), "--port", "0", "--output-dir", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120, env=env)
    assert server.returncode == 3 and f"v{MIN_VERSION}" in server.stderr


def test_a_folder_that_is_not_wan2gp_is_refused(tmp_path: Path) -> None:
    script = subprocess.run([sys.executable, str(REPO / "scripts" / "launch_wan2gp.py"),
                             "--wan2gp-dir", str(tmp_path / "nowhere"), "--state-dir", str(tmp_path / "state")],
                            capture_output=True, text=True, timeout=60)
    assert script.returncode == 1 and "Wan2GP folder not found" in script.stderr
    (tmp_path / "empty").mkdir()
    with pytest.raises(Wan2GPInstallError, match=r"no wgp\.py"):
        start(tmp_path / "empty", tmp_path / "state", python=Path(SERVER_PYTHONS["gradio5"]))


def test_cuda_missing_fails_the_start_with_the_log_and_what_to_do(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = wan2gp_copy(tmp_path)
    monkeypatch.setenv("FAKE_WAN2GP_NO_CUDA", "1")  # what a CPU-only torch does at import
    lines: list[str] = []
    with pytest.raises(launcher.LaunchError) as caught:
        start(root, tmp_path / "state", lines=lines)
    assert "exited at start-up" in caught.value.message and "Torch not compiled with CUDA" in caught.value.message
    assert caught.value.hint.startswith("CUDA is missing") and "AssertionError" in caught.value.hint  # + log tail
    assert any("[fake wgp] WanGP 12.60 starting" in line for line in lines)


def test_a_flag_wan2gp_does_not_know_is_reported(tmp_path: Path) -> None:
    root = wan2gp_copy(tmp_path)
    with pytest.raises(launcher.LaunchError) as caught:
        start(root, tmp_path / "state", args=["--profile", "4", "--no-such-flag"])
    assert "refused its command-line flags" in caught.value.message
    assert "docs/CLI.md" in caught.value.hint


def test_stale_server_is_stopped_and_status_and_stop_work(tmp_path: Path) -> None:
    root = wan2gp_copy(tmp_path)
    state = tmp_path / "state"
    first = start(root, state, args=[])
    second = start(root, state, args=[])  # finds the first through the pid file and stops it
    try:
        assert not first.alive() and second.alive()
        script = [sys.executable, str(REPO / "scripts" / "launch_wan2gp.py"), "--state-dir", str(state)]
        status = subprocess.run([*script, "--status"], capture_output=True, text=True, timeout=30)
        assert status.returncode == 0 and second.url in status.stdout
        stopped = subprocess.run([*script, "--stop"], capture_output=True, text=True, timeout=30)
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        assert subprocess.run([*script, "--status"], capture_output=True, text=True, timeout=30).returncode == 1
    finally:
        second.stop()
