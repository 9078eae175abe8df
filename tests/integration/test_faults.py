"""Faults with real processes: no server, a server killed mid-job."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient, get_wan2gp_client
from blender_movie_director.common.errors import GenerationFailedError, LoginError, ServerUnavailableError
from blender_movie_director.launcher.process import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.server

SHOT = {"model_type": "t2v_1.3B", "prompt": "a slow pan over a harbour", "resolution": "448x256",
        "video_length": 17, "num_inference_steps": 200}


def test_no_server_gives_a_typed_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServerUnavailableError) as caught:
        get_wan2gp_client(url)  # how fast: `make bench` (server absent)
    assert url in caught.value.message and "launch_wan2gp.py" in caught.value.hint


def test_server_killed_mid_job_fails_the_job_with_a_message(fresh_server, tmp_path: Path) -> None:
    with Wan2GPClient(fresh_server.url, output_dir=tmp_path) as client:
        job = client.submit(SHOT, simulation={"step_seconds": 0.05})
        wait_until(lambda: (job.status().step or 0) >= 2, 20, "the job to reach step 2")
        os.kill(fresh_server.pid, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(GenerationFailedError) as caught:
            job.result(timeout=15)
        assert time.monotonic() - started < 5
        assert caught.value.stage == "transport" and "lost" in caught.value.message
        assert not list(tmp_path.glob("*.mp4"))


def test_server_exiting_by_itself_mid_job_fails_the_job(fresh_server, tmp_path: Path) -> None:
    with Wan2GPClient(fresh_server.url, output_dir=tmp_path) as client:
        job = client.submit({**SHOT, "num_inference_steps": 10}, simulation={"exit_at_step": 3})
        with pytest.raises(GenerationFailedError) as caught:
            job.result(timeout=15)
        assert caught.value.stage == "transport"
        assert fresh_server.process.wait(5) == 17


def test_a_server_with_a_login_refuses_strangers_and_serves_its_user(tmp_path: Path, monkeypatch) -> None:
    from tests.conftest import start_test_server

    monkeypatch.setenv("BMD_SERVER_AUTH", "director:s3cret-pass")
    server = start_test_server(tmp_path)
    monkeypatch.delenv("BMD_SERVER_AUTH")
    try:
        with pytest.raises(LoginError, match="needs a login"):
            Wan2GPClient(server.url).connect()
        with pytest.raises(LoginError, match="refused this user and password"):
            Wan2GPClient(server.url, auth=("director", "wrong")).connect()
        with Wan2GPClient(server.url, auth=("director", "s3cret-pass"), output_dir=tmp_path / "clips") as client:
            result = client.generate({**SHOT, "num_inference_steps": 2}, timeout=30)
            assert result.video_path.is_file()
            assert client.is_alive()
    finally:
        server.stop()


def test_a_login_given_to_a_server_without_one_is_its_own_error(fresh_server) -> None:
    with pytest.raises(LoginError, match="has no login") as caught:
        Wan2GPClient(fresh_server.url, auth=("director", "s3cret-pass")).connect()
    assert "BMD_SERVER_AUTH" in caught.value.hint
