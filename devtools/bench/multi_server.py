"""Jobs per minute over 1, 2, 4 simulated Director servers, through the add-on's server pool
(jobs/dispatch.py ServerPool): the figure `make bench` reports for issue 17.

    from devtools.bench.multi_server import jobs_per_minute
    jobs_per_minute()  # {1: 21.3, 2: 41.0, 4: 77.9}

`run_batch` is what the tests use on servers they started themselves.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from blender_movie_director.common.settings import SimulationOptions, parse_settings
from blender_movie_director.jobs.dispatch import ServerPool
from blender_movie_director.jobs.records import JobRecord, Slot
from blender_movie_director.jobs.server_pool import ServerEntry
from blender_movie_director.launcher import process as launcher

SHOT = {"model_type": "t2v_1.3B", "prompt": "a harbour at dawn", "resolution": "448x256", "video_length": 17}


def run_batch(urls: Sequence[str], jobs: int, out: Path, *, steps: int = 10, step_seconds: float = 0.05,
              timeout: float = 300.0, model_type: str = "t2v_1.3B") -> tuple[float, list[JobRecord], ServerPool]:
    """Send `jobs` shots through a pool of `urls` and wait for all to end: (seconds, records, pool).
    The pool is stopped before it returns (its records stay readable)."""
    pool = ServerPool([ServerEntry(u) for u in urls], poll_interval=0.05)
    pool.start()
    try:
        wait_connected(pool, timeout=60.0)
        started = time.monotonic()
        ids = [pool.submit(parse_settings({**SHOT, "model_type": model_type, "prompt": f"shot {n}",
                                           "num_inference_steps": steps, "seed": n}),
                           Slot(scene="Scene", channel=2, frame_start=1 + 20 * n, frames=17), out,
                           simulation=SimulationOptions(step_seconds=step_seconds)).id for n in range(jobs)]
        deadline = started + timeout
        while time.monotonic() < deadline:
            records = [pool.get(i) for i in ids]
            if all(r is not None and r.state.is_terminal for r in records):
                break
            time.sleep(0.02)
        seconds = time.monotonic() - started
        return seconds, [r for r in (pool.get(i) for i in ids) if r is not None], pool
    finally:
        pool.stop()


def wait_connected(pool: ServerPool, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(info.connected for info in pool.servers()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"servers did not answer: {[(i.url, i.error) for i in pool.servers()]}")
        time.sleep(0.05)


@contextlib.contextmanager
def simulated_servers(count: int, folder: Path, step_seconds: float = 0.05) -> Iterator[list[launcher.ServerProcess]]:
    """`count` simulated servers on loopback (each its own folder), started as a user's launcher does."""
    started: list[launcher.ServerProcess] = []
    try:
        for n in range(count):
            config = launcher.LaunchConfig(python=launcher.find_server_python(), state_dir=folder / f"s{n}" / "state",
                                           output_dir=folder / f"s{n}" / "out", port=0, step_seconds=step_seconds,
                                           allow_test_controls=True)
            started.append(launcher.start_server(config))
        yield started
    finally:
        for server in started:
            server.stop()


def jobs_per_minute(counts: Sequence[int] = (1, 2, 4), jobs: int = 8, steps: int = 10,
                    step_seconds: float = 0.05, folder: Path | None = None) -> dict[int, float]:
    """For each number of simulated servers: finished jobs per minute for a batch of `jobs` shots."""
    base = Path(folder or tempfile.mkdtemp(prefix="bmd-bench-multi-"))
    figures: dict[int, float] = {}
    for count in counts:
        with simulated_servers(count, base / f"{count}-servers", step_seconds) as started:
            seconds, records, _ = run_batch([s.url for s in started], jobs, base / f"{count}-clips",
                                            steps=steps, step_seconds=step_seconds)
        done = sum(1 for r in records if r.result is not None)
        figures[count] = round(done * 60.0 / seconds, 1) if seconds > 0 else 0.0
    return figures


if __name__ == "__main__":
    print(jobs_per_minute())
