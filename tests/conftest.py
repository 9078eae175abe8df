"""Shared fixtures: where the server environments are, and temporary servers over loopback."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from blender_movie_director.launcher import process as launcher

REPO = Path(__file__).resolve().parents[1]
FAKE_WAN2GP = REPO / "tests" / "fake_wan2gp"  # laid out like a Wan2GP checkout (see tests/fake_wan2gp)
SERVER_PYTHONS = {
    "gradio5": os.environ.get("BMD_SERVER_PYTHON", str(REPO / ".venv/server/bin/python")),
    "gradio6": os.environ.get("BMD_SERVER_PYTHON_GRADIO6", str(REPO / ".venv/server-gradio6/bin/python")),
}

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# A run started in the background (nohup, `cmd &` in a script) inherits SIGINT ignored, and so would every
# CLI a test starts: its Ctrl-C tests would then test nothing. Handled here, SIGINT is default again in
# the children (a handler does not survive exec; an ignored signal does).
signal.signal(signal.SIGINT, signal.default_int_handler)

# tests/blender and tests/packaging need bpy: make test runs them in the bpy venvs; elsewhere not collected
collect_ignore = [] if importlib.util.find_spec("bpy") else ["blender", "packaging"]


def wan2gp_copy(parent: Path, source: Path | None = None, with_venv: bool = True) -> Path:
    """A Wan2GP folder of the test's own, whose `venv` is the server environment."""
    root = parent / "Wan2GP"
    shutil.copytree(source or FAKE_WAN2GP, root, ignore=shutil.ignore_patterns("__pycache__"))
    python = Path(SERVER_PYTHONS["gradio5"])
    if not python.exists():
        pytest.fail(f"no server environment at {python}: run `bash scripts/setup.sh` first")
    if with_venv:
        (root / "venv").symlink_to(python.parent.parent, target_is_directory=True)
    return root


def start_test_server(tmp: Path, flavour: str = "gradio5", step_seconds: float = 0.02) -> launcher.ServerProcess:
    python = Path(SERVER_PYTHONS[flavour])
    if not python.exists():
        pytest.fail(f"no server environment at {python}: run `bash scripts/setup.sh` first")
    config = launcher.LaunchConfig(python=python, state_dir=tmp / "state", output_dir=tmp / "server_out",
                                   port=0, step_seconds=step_seconds, allow_test_controls=True)
    return launcher.start_server(config)


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[launcher.ServerProcess]:
    """A server of this test's own, for tests that kill or break it."""
    server = start_test_server(tmp_path)
    yield server
    server.stop()
