"""Reattach instead of re-render: the server keeps finished clips for /job_result, a client that died
mid-job (a real child process calling os._exit) is followed by another that fetches the clip, and a
restart of the server forgets nothing it finished."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.errors import InvalidRequestError, JobGoneError
from blender_movie_director.common.job_lookup import ServerJobState
from blender_movie_director.common.protocol import new_client_id
from blender_movie_director.launcher import process as launcher
from tests.conftest import REPO, SERVER_PYTHONS
from tests.waiting import wait_until

pytestmark = pytest.mark.server

SHOT = {"model_type": "t2v_1.3B", "prompt": "a harbour at dawn", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 6, "seed": 4242}


def runs_of(client: Wan2GPClient, job_id: str) -> int:
    return sum(1 for r in client.server_jobs() if r.job_id == job_id)


def test_an_unknown_job_is_said_to_be_unknown(server, client) -> None:
    lookup, clip = client.job_result("neverexisted01")
    assert lookup.state is ServerJobState.UNKNOWN and clip is None and "no record" in lookup.message
    with pytest.raises(JobGoneError):
        client.attach("neverexisted01", client.validate(SHOT)).result(timeout=10)
    with pytest.raises(InvalidRequestError) as refused:  # not a job id at all: refused, as /cancel refuses it
        client.job_result("../../etc/passwd")
    assert refused.value.field == "job_id"


def test_a_finished_job_is_fetched_again_with_its_seed(server, client, tmp_path: Path) -> None:
    first = client.submit(SHOT, job_id="fetchagain0001").result(timeout=30)
    again = client.attach("fetchagain0001", first.settings, output_dir=tmp_path / "again").result(timeout=10)
    assert again.seed == first.seed == 4242 and again.video_path.parent == tmp_path / "again"
    assert again.video_path.read_bytes() == first.video_path.read_bytes()
    assert runs_of(client, "fetchagain0001") == 1


CRASHING_CLIENT = textwrap.dedent("""
    import os, sys, time
    from blender_movie_director.client.wan2gp_client import Wan2GPClient
    client = Wan2GPClient(sys.argv[1], output_dir=sys.argv[2], client_id=sys.argv[4])
    client.connect()
    job = client.submit({"model_type": "t2v_1.3B", "prompt": "shot of a crash", "resolution": "448x256",
                         "video_length": 17, "num_inference_steps": 40}, job_id=sys.argv[3],
                        simulation={"step_seconds": 0.05})
    while (job.status().step or 0) < 3:
        time.sleep(0.02)
    print("step", job.status().step, flush=True)
    os._exit(9)  # the client dies mid-job: no cancel, no close
""")


def test_a_client_that_died_mid_job_is_followed_by_another(fresh_server, tmp_path: Path) -> None:
    session = "crashing-session-0001"  # the client id a journal keeps, so the jobs stay its own
    done = subprocess.run([sys.executable, "-c", CRASHING_CLIENT, fresh_server.url, str(tmp_path / "dead"),
                           "crashmidjob001", session], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 9 and "step" in done.stdout, done.stderr
    with (Wan2GPClient(fresh_server.url, output_dir=tmp_path / "other") as stranger,
          pytest.raises(InvalidRequestError, match="not one of this client's jobs")):
        stranger.job_result("crashmidjob001")  # a client sees its own jobs only
    with Wan2GPClient(fresh_server.url, output_dir=tmp_path / "clips", client_id=session) as client:
        lookup, _ = client.job_result("crashmidjob001")
        assert lookup.state in (ServerJobState.RUNNING, ServerJobState.SUCCEEDED)  # the server went on
        started = time.monotonic()
        job = client.attach("crashmidjob001", client.validate({**SHOT, "prompt": "shot of a crash"}))
        statuses = set()
        while not job.done():
            statuses.add(job.status().state.value)
            time.sleep(0.05)
        result = job.result()
        print(f"\nclient died mid-job → clip fetched by another client {time.monotonic() - started:.2f} s later "
              f"(followed through {sorted(statuses)})")
        assert result.video_path.is_file() and result.video_path.parent == tmp_path / "clips"
        assert runs_of(client, "crashmidjob001") == 1  # rendered once


def test_finished_clips_survive_a_restart_of_the_server(tmp_path: Path) -> None:
    config = launcher.LaunchConfig(python=Path(SERVER_PYTHONS["gradio5"]), state_dir=tmp_path / "state",
                                   output_dir=tmp_path / "server_out", port=0, step_seconds=0.01)
    server = launcher.start_server(config)
    me = new_client_id()
    try:
        with Wan2GPClient(server.url, output_dir=tmp_path / "clips", client_id=me) as client:
            first = client.submit(SHOT, job_id="survivor00001").result(timeout=30)
        config.port = int(server.url.rsplit(":", 1)[1])
        server.stop()
        server = launcher.start_server(config)
        with (Wan2GPClient(server.url, output_dir=tmp_path / "other") as stranger,
              pytest.raises(InvalidRequestError)):
            stranger.job_result("survivor00001")  # its owner is kept with the clip, through the restart
        with Wan2GPClient(server.url, output_dir=tmp_path / "later", client_id=me) as client:
            lookup, clip = client.job_result("survivor00001")
            assert lookup.state is ServerJobState.SUCCEEDED and lookup.reply.seed == first.seed
            assert clip is not None and clip.read_bytes() == first.video_path.read_bytes()
    finally:
        server.stop()


def test_keeping_results_can_be_turned_off(tmp_path: Path) -> None:
    config = launcher.LaunchConfig(python=Path(SERVER_PYTHONS["gradio5"]), state_dir=tmp_path / "state",
                                   output_dir=tmp_path / "server_out", port=0, step_seconds=0.01,
                                   extra_args=["--keep-results-hours", "0"])
    server = launcher.start_server(config)
    try:
        with Wan2GPClient(server.url, output_dir=tmp_path / "clips") as client:
            client.submit(SHOT, job_id="notkept000001").result(timeout=30)
            wait_until(lambda: client.job_result("notkept000001")[0].state is not ServerJobState.RUNNING, 10,
                       "the job to be recorded as finished")
            lookup, clip = client.job_result("notkept000001")
            assert lookup.state is ServerJobState.EXPIRED and clip is None
    finally:
        server.stop()
