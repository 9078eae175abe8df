"""Run by the server's Python: the simulated engine's own time for one clip, no server around it.

    python devtools/bench/engine.py FOLDER ROUNDS SETTINGS_JSON   → {"ms": [...]} on the last line
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(folder: Path, rounds: int, settings: dict) -> list[float]:
    from blender_movie_director.common.settings import SimulationOptions, parse_settings
    from blender_movie_director.server.engines.simulated import SimulatedEngine

    engine = SimulatedEngine(step_seconds=0.0, load_seconds=0.0)
    resolved = parse_settings(settings).resolved_for(engine.model(settings["model_type"]))
    took = []
    for n in range(rounds + 1):
        started = time.perf_counter()
        engine.submit(f"bench-engine-{n:04d}", resolved, {}, folder, SimulationOptions(step_seconds=0.0)).result(60)
        if n:  # the first is a warm-up
            took.append((time.perf_counter() - started) * 1000)
    return took


if __name__ == "__main__":
    print(json.dumps({"ms": main(Path(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]))}))
