"""Uploads live as long as a job needs them: one image sent for two queued jobs serves both (gradio keeps
it as one file), and it is gone from the server once the last of them ends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from blender_movie_director.client.wan2gp_client import Wan2GPClient

pytestmark = pytest.mark.server

SHOT = {"model_type": "i2v", "prompt": "the lighthouse wakes up", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 20}


def test_one_image_for_two_queued_jobs_serves_both_then_is_deleted(fresh_server, tmp_path: Path) -> None:
    image = tmp_path / "start.png"
    Image.new("RGB", (96, 64), (30, 90, 200)).save(image)
    temp = Path(re.findall(r"copies of outputs go to (\S+)", fresh_server.log_file.read_text())[-1])
    with Wan2GPClient(fresh_server.url, output_dir=tmp_path / "clips") as client:
        first = client.submit({**SHOT, "image_start": image, "seed": 1}, simulation={"step_seconds": 0.03})
        second = client.submit({**SHOT, "image_start": image, "seed": 2}, simulation={"step_seconds": 0.03})
        results = [first.result(timeout=60), second.result(timeout=60)]  # the second waited for the first
    assert [r.seed for r in results] == [1, 2] and all(r.video_path.is_file() for r in results)
    left = [p.name for p in temp.rglob("*") if p.is_file() and p.suffix == ".png"]
    assert left == [], f"uploads left on the server: {left}"
