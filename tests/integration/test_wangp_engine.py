"""The launcher and the wangp engine against a fake Wan2GP checkout, end to end over loopback.

tests/fake_wan2gp is laid out like a Wan2GP folder (wgp.py, shared/api.py, ckpts/, loras/) and
reproduces shared/api.py of WanGP 12.60 (8681e9f), serving the catalog that WanGP recorded
(tests/fake_wan2gp/recording/: 217 models). Each test copies it into a temporary folder with
a `venv` that is the server environment (gradio 5.29), so the launcher finds "Wan2GP's own Python"
the way it would on a user's machine, and the real server module runs the wangp engine in it.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import time
import zlib
from collections import Counter
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
    ModelGroup,
    OutputKind,
    Phase,
)
from blender_movie_director.common.errors import (
    GenerationFailedError,
    InvalidSettingsError,
    JobCancelledError,
    Wan2GPInstallError,
)
from blender_movie_director.common.wan2gp_install import MIN_VERSION
from blender_movie_director.launcher import process as launcher
from blender_movie_director.server.engines.render import read_clip_metadata
from tests.conftest import REPO, SERVER_PYTHONS, wan2gp_copy
from tests.waiting import wait_until

pytestmark = pytest.mark.server

FAKE = REPO / "tests" / "fake_wan2gp"
FAKE_OLD = REPO / "tests" / "fake_wan2gp_old"
SHOT = {"model_type": "t2v_1.3B", "prompt": "a paper boat drifting down a rainy street", "resolution": "448x256",
        "video_length": 17, "num_inference_steps": 8}
FLAGS = ["--profile", "4", "--attention", "sdpa", "--compile"]


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


def test_catalog_offers_every_model_wan2gp_publishes(client: Wan2GPClient) -> None:
    models = {m.id: m for m in client.list_models()}
    # WanGP 12.60: 217 models; 192 make video or images, 25 make sound (music, speech)
    assert len(models) == 217
    by_family = Counter((m.output is OutputKind.AUDIO, m.family) for m in models.values())
    assert {f: n for (sound, f), n in by_family.items() if not sound} == {
        "wan": 50, "wan2_2": 32, "ltx2": 25, "flux": 11, "kandinsky5": 9, "z_image": 9, "flux2": 8, "hunyuan": 8,
        "hunyuan_1_5": 8, "qwen": 8, "krea2": 4, "longcat": 4, "magi_human": 4, "minimax_h3": 4, "hidream": 3,
        "ideogram4": 3, "ltxv": 2}
    assert {f: n for (sound, f), n in by_family.items() if sound} == {"music": 15, "tts": 10}
    t2v = models["t2v_1.3B"]
    grid = (t2v.fps, t2v.frames_minimum, t2v.frames_step, t2v.frames_maximum, t2v.sliding_window)
    assert grid == (16, 5, 4, 97, False)  # WanGP: no sliding window, no video to continue for the 1.3B
    assert (t2v.family, t2v.category, t2v.available, t2v.media_inputs) == ("wan", ModelCategory.FAST, True, ())
    assert not models["t2v"].available, "t2v has no weights in ckpts/: availability must say so"
    ltx = models["ltx2_distilled"]
    grid = (ltx.fps, ltx.frames_minimum, ltx.frames_step, ltx.frames_maximum, ltx.audio_output)
    assert grid == (24, 17, 8, 481, True)
    assert (ltx.default_resolution, ltx.default_frames, ltx.default_steps) == ("832x480", 241, 8)
    assert models["i2v"].required_inputs == (MediaInput.IMAGE_START,)
    assert models["i2v"].category is ModelCategory.IMAGE_TO_VIDEO
    for model_type in ("t2v_2_2", "i2v_2_2", "ti2v_2_2", "vace_14B_2_2"):
        assert (models[model_type].family, models[model_type].family_name) == ("wan2_2", "Wan2.2")
    vace = models["vace_1.3B"]
    assert vace.family == "wan" and {MediaInput.VIDEO_GUIDE, MediaInput.IMAGE_REFS} <= set(vace.media_inputs)
    assert ModelGroup.CONTROL_EDIT in vace.groups
    assert models["chrono_edit"].required_inputs == (MediaInput.IMAGE_START,)
    assert models["flux_dev_kontext"].required_inputs == (MediaInput.IMAGE_REFS,)
    assert models["flux"].output is OutputKind.IMAGE and models["flux"].default_resolution == "1280x720"
    music = models["ace_step_v1_5"]
    assert (music.output, music.group, music.family_name, music.available) == (OutputKind.AUDIO, ModelGroup.AUDIO,
                                                                               "Music", True)
    assert models["k5_lite_t2v"].family_name == "Kandinsky 5"
    defaults = client.model_defaults("t2v_1.3B")
    assert len(defaults) == 115, "WanGP's full defaults, as recorded"
    assert (defaults["sample_solver"], defaults["settings_version"], defaults["model_type"]) == ("unipc", 2.74,
                                                                                                  "t2v_1.3B")
    assert client.list_loras("t2v_1.3B").loras == ("fake_film_grain.safetensors",)


# ---------------------------------------------------------------- generation


def test_progress_maps_to_phases_and_steps_and_the_clip_arrives(client: Wan2GPClient) -> None:
    slow = f"{SHOT['prompt']} [fake step_seconds=0.1]"  # the fake's pace, read from the prompt: slow enough to see
    job = client.submit({**SHOT, "prompt": slow, "seed": 1234, "activated_loras": ["fake_film_grain.safetensors"],
                         "loras_multipliers": [0.7]})
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
        slow, 1234, 8, "unipc")  # sample_solver: Wan2GP's default for this model, filled in
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


def png(path: Path, width: int = 64, height: int = 48) -> Path:
    """A small real PNG (no Pillow in the client's environment)."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 4 % 256, y * 5 % 256, 90))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize(("model_type", "fps", "needs_image"), [("t2v_2_2", 16.0, False), ("ti2v_2_2", 24.0, False),
                                                                ("i2v_2_2", 16.0, True)])
def test_wan_2_2_models_generate(client: Wan2GPClient, tmp_path: Path, model_type: str, fps: float,
                                 needs_image: bool) -> None:
    shot = {**SHOT, "model_type": model_type, "num_inference_steps": 4}
    if needs_image:
        shot["image_start"] = png(tmp_path / "first.png")
    clip = client.generate(shot, timeout=60)
    assert (clip.frames, clip.fps, clip.width, clip.height) == (17, fps, 448, 256)
    used = read_clip_metadata(clip.video_path)
    assert used["model_type"] == model_type and ("S" in used["image_prompt_type"]) == needs_image


def test_a_model_needing_a_start_image_is_refused_before_sending_and_runs_with_one(
        client: Wan2GPClient, tmp_path: Path) -> None:
    shot = {"model_type": "chrono_edit", "prompt": "the boat, one second later", "resolution": "448x256",
            "num_inference_steps": 2}
    before = len(client.server_jobs())
    with pytest.raises(InvalidSettingsError) as refused:
        client.submit(shot)
    assert refused.value.field == "image_start" and "chrono_edit needs a start image" in refused.value.message
    assert "--image-start" in refused.value.hint and "Retry" not in str(refused.value)
    assert len(client.server_jobs()) == before, "nothing may reach the server"
    edited = client.generate({**shot, "image_start": png(tmp_path / "boat.png")}, timeout=60)
    assert edited.video_path.suffix == ".jpg" and edited.frames == 1  # chrono_edit makes a still


def test_reference_images_and_sound_reach_wan2gp_in_their_own_slots(client: Wan2GPClient, tmp_path: Path) -> None:
    picture = client.generate({"model_type": "flux_dev_kontext", "prompt": "the boat, as a poster",
                               "resolution": "448x256", "num_inference_steps": 2,
                               "image_refs": png(tmp_path / "boat.png")}, timeout=60)
    assert picture.video_path.suffix == ".jpg" and picture.frames == 1
    music = client.generate({"model_type": "ace_step_v1_5", "prompt": "[Verse] rain on the water",
                             "duration_seconds": 2, "num_inference_steps": 2}, timeout=60)
    assert music.video_path.suffix == ".wav" and (music.frames, music.has_audio) == (0, True)
    assert music.video_path.stat().st_size > 2 * 16000  # two seconds of 16 kHz, 16-bit sound


def test_two_pass_progress_never_goes_back(client: Wan2GPClient) -> None:
    # Wan2GP's LTX-2 says "Denoising First Phase" 0…N, then "Second Phase" 0…3: one bar for both
    job = client.submit({**SHOT, "model_type": "ltx2_distilled", "prompt": "waves [fake step_seconds=0.08]",
                         "num_inference_steps": 6})
    seen = follow(job, timeout=60)
    job.result(timeout=30)
    running = [s for s in seen if s.state is JobState.RUNNING]
    assert [s.progress for s in running] == sorted(s.progress for s in running), "the bar went back"
    stages = list(dict.fromkeys(s.stage for s in running if s.phase is Phase.INFERENCE and s.step))
    assert stages == ["pass 1/2", "pass 2/2"], stages
    assert {s.total_steps for s in running if s.stage == "pass 2/2" and s.step} == {3}
    assert any(s.eta_seconds for s in running if s.stage == "pass 1/2")


def test_a_refusal_that_still_reaches_wan2gp_says_what_to_add(client: Wan2GPClient) -> None:
    # Wan2GP's own letters asking for a start image the shot does not have: Wan2GP refuses it itself
    with pytest.raises(GenerationFailedError) as refused:
        client.generate({**SHOT, "model_type": "ti2v_2_2", "extra": {"image_prompt_type": "S"}}, timeout=60)
    error = refused.value
    assert (error.stage, error.reason) == ("validation", "You must provide a Start Image")
    assert error.hint.startswith("add a start image") and "Retry" not in error.hint


def test_media_go_to_wan2gp_as_uploaded_files_with_their_flags(client: Wan2GPClient, tmp_path: Path) -> None:
    guide = client.generate({**SHOT, "num_inference_steps": 2}, timeout=30).video_path
    result = client.generate({**SHOT, "model_type": "vace_1.3B", "num_inference_steps": 2, "video_guide": guide},
                             timeout=30)
    used = read_clip_metadata(result.video_path)
    assert "V" in used["video_prompt_type"], "a control video needs the V flag or Wan2GP ignores it"
    assert Path(used["video_guide"]).name == guide.name and Path(used["video_guide"]) != guide  # the upload


def test_cancel_mid_job_stops_wan2gp_and_frees_it(client: Wan2GPClient, wangp: Started) -> None:
    job = client.submit({**SHOT, "prompt": "a long one [fake step_seconds=0.05]", "num_inference_steps": 200})
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
    job = client.submit({**SHOT, "prompt": "a boat [fake fail_at_step=2]"})
    with pytest.raises(GenerationFailedError) as caught:
        job.result(timeout=30)
    assert caught.value.stage == "generation" and "fake failure at denoising step 2" in caught.value.message
    assert job.status().state is JobState.FAILED
    with pytest.raises(GenerationFailedError) as refused:
        client.generate({**SHOT, "prompt": "[fake validation_error=The prompt is too short for this model]"},
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


def test_the_models_command_lists_every_model_with_its_inputs_and_weights(wangp: Started) -> None:
    listed = subprocess.run([sys.executable, "-m", "blender_movie_director", "--url", wangp.server.url, "models"],
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    rows = {line.split()[0]: line for line in lines if line.startswith("  ")}
    assert len(rows) == 217 and lines[-1].startswith("217 models (192 video and image, 25 sound), 13 downloaded")
    assert "needs start image" in rows["chrono_edit"] and " downloaded " in rows["chrono_edit"]
    assert "not downloaded" in rows["t2v"] and "Wan2.2" in rows["t2v_2_2"]


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
