#!/usr/bin/env python3
"""The demo: start the simulated Director server, generate three shots, print what was made.

Runs with the client environment (make demo). Outputs land in demo_output/.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from blender_movie_director.backend import launcher  # noqa: E402
from blender_movie_director.backend.wan2gp.client import Wan2GPClient  # noqa: E402

OUT = REPO / "demo_output"
SHOTS = [
    {"model_type": "t2v_1.3B", "prompt": "Wide shot: a lighthouse on a cliff at dusk, waves crashing", "seed": 11,
     "video_length": 33, "resolution": "832x480", "num_inference_steps": 12},
    {"model_type": "ltx2_distilled", "prompt": "Close-up: the keeper lights the lamp, warm glow", "seed": 12,
     "video_length": 49, "resolution": "832x480"},
    {"model_type": "t2v", "prompt": "Aerial: the beam sweeps across a stormy sea", "seed": 13,
     "video_length": 33, "resolution": "832x480", "num_inference_steps": 12},
]


def main() -> int:
    config = launcher.LaunchConfig(python=launcher.find_server_python(), state_dir=OUT / "server",
                                   output_dir=OUT / "server" / "outputs", port=0, step_seconds=0.05)
    print("starting the simulated Director server…", flush=True)
    server = launcher.start_server(config)
    try:
        with Wan2GPClient(server.url, output_dir=OUT / "clips") as client:
            status = client.server_status()
            print(f"connected to {server.url}: engine {status.engine.value}, gradio {status.gradio_version}")
            started = time.monotonic()
            jobs = [client.submit(shot) for shot in SHOTS]
            while not all(job.done() for job in jobs):
                line = " | ".join(f"{job.settings.model_type}: {job.status().phase_label:<16}" for job in jobs)
                print("\r" + line, end="", flush=True)
                time.sleep(0.2)
            results = [job.result(timeout=120) for job in jobs]
            print(f"\n\n{len(results)} clips in {time.monotonic() - started:.1f} s\n")
            print(f"{'model':16} {'frames':>6} {'fps':>4} {'size':>9} {'seed':>5} {'audio':>5}  file")
            for r in results:
                print(f"{r.settings.model_type:16} {r.frames:6} {r.fps:4g} {r.width}x{r.height:<5} {r.seed:5} "
                      f"{'yes' if r.has_audio else 'no':>5}  {r.video_path.relative_to(REPO)}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
