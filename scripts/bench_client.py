#!/usr/bin/env python3
"""Client benchmark: import time, connect time, submit → first progress, and one simulated job
through Wan2GPClient against the same job through bare gradio_client (ratio). Prints figures;
asserts nothing. Runs interleaved rounds so that machine noise hits both sides alike.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from blender_movie_director.client.wan2gp_client import Wan2GPClient  # noqa: E402
from blender_movie_director.common.enums import JobState  # noqa: E402
from blender_movie_director.launcher import process as launcher  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
SHOT = {"model_type": "t2v_1.3B", "prompt": "benchmark shot", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 10, "seed": 5}


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return float(out.stdout.strip())


def main() -> int:
    imports = [import_seconds("blender_movie_director.client.wan2gp_client") for _ in range(ROUNDS)]
    gradio_imports = [import_seconds("gradio_client") for _ in range(ROUNDS)]
    state = Path(tempfile.mkdtemp(prefix="bmd-bench-"))
    server = launcher.start_server(launcher.LaunchConfig(
        python=launcher.find_server_python(), state_dir=state, output_dir=state / "out", port=0, step_seconds=0.05))
    from gradio_client import Client

    ours_connect, bare_connect, first_progress, ours_job, bare_job = [], [], [], [], []
    try:
        for _ in range(ROUNDS):
            t = time.perf_counter()
            client = Wan2GPClient(server.url, output_dir=state / "clips")
            client.connect()
            ours_connect.append(time.perf_counter() - t)

            t = time.perf_counter()
            bare = Client(server.url, verbose=False, download_files=str(state / "bare"))
            bare_connect.append(time.perf_counter() - t)

            t = time.perf_counter()
            job = client.submit(SHOT)
            while job.status().state in (JobState.SUBMITTING, JobState.QUEUED):
                time.sleep(0.002)
            first_progress.append(time.perf_counter() - t)
            job.result(timeout=60)

            t = time.perf_counter()
            client.generate(SHOT, timeout=60)
            ours_job.append(time.perf_counter() - t)

            request = json.dumps({"job_id": uuid.uuid4().hex[:16], "settings": SHOT})
            t = time.perf_counter()
            bare.predict(request, None, None, None, None, api_name="/generate")
            bare_job.append(time.perf_counter() - t)
            client.close()
            bare.close()
    finally:
        server.stop()

    print(f"rounds: {ROUNDS}, simulated job: {SHOT['video_length']} frames {SHOT['resolution']}, "
          f"{SHOT['num_inference_steps']} steps x 0.05 s")
    print(f"import blender_movie_director client  {median_ms(imports)}")
    print(f"import gradio_client (for reference)  {median_ms(gradio_imports)}")
    print(f"connect: Wan2GPClient (probe+checks)  {median_ms(ours_connect)}")
    print(f"connect: bare gradio_client.Client()  {median_ms(bare_connect)}")
    print(f"submit -> first progress              {median_ms(first_progress)}")
    print(f"one job end to end: Wan2GPClient      {median_ms(ours_job)}")
    print(f"one job end to end: bare gradio       {median_ms(bare_job)}")
    print(f"ratio Wan2GPClient / bare gradio      {statistics.median(ours_job) / statistics.median(bare_job):8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
