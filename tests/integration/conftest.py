from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.launcher import process as launcher
from tests.conftest import start_test_server


@pytest.fixture(scope="module", params=["gradio5", "gradio6"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[launcher.ServerProcess]:
    """One Director server per test module and gradio generation, started by the launcher."""
    server = start_test_server(tmp_path_factory.mktemp(f"server-{request.param}"), request.param)
    yield server
    server.stop()


@pytest.fixture
def client(server: launcher.ServerProcess, tmp_path: Path) -> Iterator[Wan2GPClient]:
    with Wan2GPClient(server.url, output_dir=tmp_path / "clips") as client:
        yield client
