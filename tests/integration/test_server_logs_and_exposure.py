"""The server log says one line per failed or cancelled job, without tracebacks; a server asked to bind
beyond loopback without a login refuses to start (before binding anything)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.errors import GenerationFailedError
from blender_movie_director.launcher.process import PACKAGE_PARENT, SERVER_MODULE
from tests.conftest import SERVER_PYTHONS
from tests.waiting import wait_until

pytestmark = pytest.mark.server

SHOT = {"model_type": "t2v_1.3B", "prompt": "a lantern in fog", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 6}


def test_one_log_line_per_failed_or_cancelled_job_and_no_traceback(fresh_server, tmp_path: Path) -> None:
    with Wan2GPClient(fresh_server.url, output_dir=tmp_path) as client:
        failing = client.submit(SHOT, simulation={"fail_at_step": 2})
        with pytest.raises(GenerationFailedError):
            failing.result(timeout=30)
        cancelled = client.submit({**SHOT, "num_inference_steps": 200}, simulation={"step_seconds": 0.05})
        wait_until(lambda: (cancelled.status().step or 0) >= 1, 30, "the job to start")
        cancelled.cancel()
        refused = client.submit({**SHOT, "model_type": "i2v", "image_start": _text_as_png(tmp_path)})
        with pytest.raises(Exception):  # noqa: B017 - its kind is the corpus's business
            refused.result(timeout=30)
    wait_until(lambda: f"job {cancelled.id} cancelled" in fresh_server.log_file.read_text(), 10, "the cancel line")
    log = fresh_server.log_file.read_text()
    assert "Traceback" not in log
    assert len(re.findall(rf"job {failing.id} failed: .*simulated failure at step 2", log)) == 1
    assert log.count(f"job {cancelled.id} cancelled") == 1
    assert f"job {refused.id} started" not in log and "generate refused: image_start:" in log


def _text_as_png(folder: Path) -> Path:
    path = folder / "notes.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10)
    return path


def test_a_server_beyond_loopback_without_a_login_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BMD_SERVER_AUTH"}
    env["PYTHONPATH"] = str(PACKAGE_PARENT)
    done = subprocess.run([SERVER_PYTHONS["gradio5"], "-m", SERVER_MODULE, "--host", "0.0.0.0", "--port", "0",
                           "--output-dir", str(tmp_path)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert "needs a login" in done.stderr and "--insecure-no-login" in done.stderr
    assert "Traceback" not in done.stderr
