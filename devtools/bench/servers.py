"""Simulated Director servers for one benchmark run: started by the launcher exactly as a user's
launcher starts one, on loopback, with test controls on (pacing, the padded output)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from blender_movie_director.launcher import process as launcher


def start(folder: Path, step_seconds: float = 0.05) -> launcher.ServerProcess:
    folder.mkdir(parents=True, exist_ok=True)
    config = launcher.LaunchConfig(python=launcher.find_server_python(), state_dir=folder / "state",
                                   output_dir=folder / "out", port=0, step_seconds=step_seconds,
                                   allow_test_controls=True)
    return launcher.start_server(config)


@contextlib.contextmanager
def running(count: int = 1, step_seconds: float = 0.05, folder: Path | None = None) -> Iterator[list[launcher.ServerProcess]]:
    """`count` servers, each with its own folder; all stopped afterwards (also on errors)."""
    base = Path(folder or tempfile.mkdtemp(prefix="bmd-bench-servers-"))
    started: list[launcher.ServerProcess] = []
    try:
        for n in range(count):
            started.append(start(base / f"server{n}", step_seconds))
        yield started
    finally:
        for server in started:
            server.stop()
