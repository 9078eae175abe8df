"""The terminal client never hangs and never loses a clip: a hung (SIGSTOPped) server, Ctrl-C (a real
SIGINT), --timeout, numbers checked before sending, --out as a folder, a read-only (bind-mounted) or
full (tiny tmpfs) --out folder, a prompt that is not valid text. Each run is a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from tests.conftest import REPO, start_test_server
from tests.waiting import wait_until

pytestmark = pytest.mark.server

SHOT = ["--frames", "17", "--resolution", "448x256"]


@pytest.fixture
def slow_server(tmp_path: Path):
    """A server of this test's own whose steps take 0.05 s (200 steps: 10 s)."""
    server = start_test_server(tmp_path, step_seconds=0.05)
    yield server
    os.kill(server.pid, signal.SIGCONT)
    server.stop()


def cli(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "blender_movie_director", "--url", url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


def finish(process: subprocess.Popen, timeout: float) -> tuple[int, str, str, float]:
    started = time.monotonic()
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the CLI did not end within {timeout:g} s: {err[-1500:]}") from None
    return process.returncode, out, err, time.monotonic() - started


def wait_for_steps(process: subprocess.Popen, server_url: str, steps: int = 3) -> None:
    with Wan2GPClient(server_url) as watcher:
        wait_until(lambda: watcher.server_status().busy, 30, "the CLI's job to start")
    time.sleep(0.5)
    assert process.poll() is None


def test_a_hung_server_ends_the_cli_with_a_message(slow_server, tmp_path: Path) -> None:
    process = cli(slow_server.url, "generate", "--prompt", "a hung server", *SHOT, "--steps", "200",
                  "--out", str(tmp_path / "clip.mp4"))
    wait_for_steps(process, slow_server.url)
    os.kill(slow_server.pid, signal.SIGSTOP)
    code, _, err, elapsed = finish(process, 60)
    print(f"\nCLI on a hung server: exit {code} {elapsed:.1f} s after the server stopped")
    assert code == 1 and "stopped answering" in err and "Traceback" not in err
    assert elapsed < 30


def test_ctrl_c_cancels_the_servers_job_and_ends_at_once(slow_server, tmp_path: Path) -> None:
    process = cli(slow_server.url, "generate", "--prompt", "interrupted", *SHOT, "--steps", "200",
                  "--out", str(tmp_path / "clip.mp4"))
    wait_for_steps(process, slow_server.url)
    process.send_signal(signal.SIGINT)
    code, _, err, elapsed = finish(process, 30)
    print(f"\nCLI Ctrl-C: exit {code} {elapsed:.2f} s after SIGINT")
    assert code == 130 and "cancelling" in err and elapsed < 2.0
    with Wan2GPClient(slow_server.url) as watcher:  # the server let go of the job (it would take 10 s)
        wait_until(lambda: not watcher.server_status().busy, 5, "the server to stop the cancelled job")


def test_ctrl_c_with_a_hung_server_still_ends_at_once(slow_server, tmp_path: Path) -> None:
    process = cli(slow_server.url, "generate", "--prompt", "interrupted, hung", *SHOT, "--steps", "200",
                  "--out", str(tmp_path / "clip.mp4"))
    wait_for_steps(process, slow_server.url)
    os.kill(slow_server.pid, signal.SIGSTOP)
    process.send_signal(signal.SIGINT)
    code, _, _, elapsed = finish(process, 30)
    print(f"\nCLI Ctrl-C with a hung server: exit {code} {elapsed:.2f} s after SIGINT")
    assert code == 130 and elapsed < 2.0


def test_timeout_is_honoured_and_cancels_the_job(slow_server, tmp_path: Path) -> None:
    process = cli(slow_server.url, "generate", "--prompt", "too slow", *SHOT, "--steps", "200", "--timeout", "2",
                  "--out", str(tmp_path / "clip.mp4"))
    code, _, err, elapsed = finish(process, 60)
    print(f"\nCLI --timeout 2: exit {code} after {elapsed:.1f} s")
    assert code == 1 and "did not finish within 2 s" in err and elapsed < 15
    with Wan2GPClient(slow_server.url) as watcher:
        wait_until(lambda: not watcher.server_status().busy, 5, "the server to stop the job given up on")


@pytest.mark.parametrize(("args", "says"), [
    (["--seconds", "nan"], "seconds: "),
    (["--seconds", "inf"], "seconds: "),
    (["--seconds", "-1"], "seconds: "),
    (["--seconds", "0"], "seconds: "),
    (["--seconds", "1e9"], "outside what t2v_1.3B makes"),
    (["--seconds", "0.01"], "outside what t2v_1.3B makes"),
    (["--frames", "-1"], "video_length"),
    (["--timeout", "nan"], "timeout: nan s"),
    (["--timeout", "-5"], "timeout"),
])
def test_numbers_are_checked_before_anything_is_sent(server, tmp_path: Path, args: list[str], says: str) -> None:
    code, _, err, _ = finish(cli(server.url, "generate", "--prompt", "numbers", "--resolution", "448x256", *args,
                                 "--out", str(tmp_path / "clip.mp4")), 60)
    assert code == 1 and says in err and "Traceback" not in err, err
    assert not list(tmp_path.iterdir())


def test_a_prompt_that_is_not_valid_text_is_refused_by_name(server, tmp_path: Path) -> None:
    code, _, err, _ = finish(cli(server.url, "generate", "--prompt", "a fox \udcff in snow", *SHOT,
                                 "--out", str(tmp_path / "clip.mp4")), 60)
    assert code == 1 and "prompt: character 7 is not valid text" in err and "Traceback" not in err, err


def test_out_as_a_folder_writes_a_file_inside_it_with_its_sidecar(server, tmp_path: Path) -> None:
    folder = tmp_path / "renders"
    folder.mkdir()
    code, out, err, _ = finish(cli(server.url, "generate", "--prompt", "into a folder", *SHOT, "--steps", "2",
                                   "--out", str(folder)), 60)
    assert code == 0, err
    (clip,) = folder.glob("*.mp4")
    assert not (tmp_path / "renders.mp4").exists() and str(clip) in out
    assert json.loads(clip.with_suffix(".json").read_text())["video_path"] == str(clip)
    named = tmp_path / "named.mp4"
    code, _, err, _ = finish(cli(server.url, "generate", "--prompt", "named", *SHOT, "--steps", "2",
                                 "--out", str(named)), 60)
    assert code == 0 and named.is_file(), err
    assert json.loads(named.with_suffix(".json").read_text())["video_path"] == str(named)  # names the final file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["named.json", "named.mp4", "renders"]


def _mount(*command: str) -> None:
    done = subprocess.run(list(command), capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")


@pytest.fixture
def read_only_folder(tmp_path: Path):
    folder = tmp_path / "locked"
    folder.mkdir()
    _mount("mount", "--bind", str(folder), str(folder))
    _mount("mount", "-o", "remount,bind,ro", str(folder))
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def full_folder(tmp_path: Path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    _mount("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder))  # far too small for a clip
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("kind", ["read_only", "full"])
def test_an_unwritable_out_says_where_the_clip_was_kept(server, tmp_path: Path, kind: str, request) -> None:
    folder = request.getfixturevalue(f"{kind}_folder")
    rescue = tmp_path / "rescue"
    code, _, err, _ = finish(cli(server.url, "generate", "--prompt", f"a {kind} disk", "--frames", "33",
                                 "--resolution", "832x480", "--steps", "2", "--out", str(folder / "clip.mp4"),
                                 env={"BMD_RESCUE_DIR": str(rescue)}), 60)
    assert code == 1 and "Traceback" not in err, err
    (kept,) = rescue.glob("*.mp4")
    assert f"the download is at {kept}" in err and kept.stat().st_size > 0
    assert not list(folder.glob("*.mp4")), "a half-written clip was left"
