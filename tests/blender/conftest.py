"""Real Blender (the bpy module) with the add-on enabled as an extension, in an isolated user folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

USER_RESOURCES = Path(tempfile.mkdtemp(prefix="bmd-blender-user-"))
os.environ["BLENDER_USER_RESOURCES"] = str(USER_RESOURCES)  # before bpy is imported

import bpy  # noqa: E402, I001  (before addon_utils, which it provides)
import addon_utils  # noqa: E402
import pytest  # noqa: E402

from devtools.blender import ADDON, drive as drive_tick, enable_addon  # noqa: E402
from tests.conftest import start_test_server  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    server = start_test_server(tmp_path_factory.mktemp("blender-server"), step_seconds=0.01)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def addon(server) -> Iterator:
    module = enable_addon(server.url)
    yield module
    addon_utils.disable(ADDON, default_set=True)


@pytest.fixture
def scene(addon, server, tmp_path: Path) -> Iterator[bpy.types.Scene]:
    """A clean scene in a .blend saved to this test's folder (so clips go to //movie_director/)."""
    prefs = bpy.context.preferences.addons[ADDON].preferences
    if prefs.server_url != server.url:  # a test that enabled the add-on again reset its preferences
        prefs.server_url, prefs.poll_interval = server.url, 0.05
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps = 24
    scene.frame_start, scene.frame_end = 1, 250
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shots.blend"))
    addon.ui.tick.reset()
    yield scene
    manager = addon.ui.addon.manager_if_running()
    if manager is not None:
        for record in manager.jobs():
            if not record.state.is_terminal:
                manager.cancel(record.id)


@pytest.fixture
def drive(addon) -> Callable[..., float]:
    return lambda done, timeout=30.0: drive_tick(addon, done, timeout)


# The bpy module's own teardown at interpreter exit can crash (4.2.23: Blender frees a Python class after
# Python has shut down — a segfault after every test passed; 4.5 at times hangs there). The add-on's own
# cleanup is tested above (the session fixture disables it); what is left is Blender's, so end the process
# with pytest's own exit status once it has reported.
_exit_status = {"code": 0}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status["code"] = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status["code"])
