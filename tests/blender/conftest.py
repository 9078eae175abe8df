"""Real Blender (the bpy module) with the add-on enabled as an extension, in an isolated user folder."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

USER_RESOURCES = Path(tempfile.mkdtemp(prefix="bmd-blender-user-"))
os.environ["BLENDER_USER_RESOURCES"] = str(USER_RESOURCES)  # before bpy is imported

import bpy  # noqa: E402
import pytest  # noqa: E402

from tests.conftest import REPO, start_test_server  # noqa: E402

ADDON = "bl_ext.user_default.blender_movie_director"


def stage_extension() -> Path:
    """The package plus its manifest, laid out as Blender's user_default repository holds it."""
    repos = bpy.context.preferences.extensions.repos
    repo_dir = Path(next(r.directory for r in repos if r.module == "user_default"))
    repo_dir.mkdir(parents=True, exist_ok=True)
    target = repo_dir / "blender_movie_director"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(REPO / "blender_movie_director", target, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "blender_manifest.toml", target / "blender_manifest.toml")
    return target


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    server = start_test_server(tmp_path_factory.mktemp("blender-server"), step_seconds=0.01)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def addon(server) -> Iterator:
    import addon_utils
    import importlib

    stage_extension()
    addon_utils.enable(ADDON, default_set=True, handle_error=lambda exc: (_ for _ in ()).throw(exc))
    assert ADDON in bpy.context.preferences.addons, "the extension did not enable"
    prefs = bpy.context.preferences.addons[ADDON].preferences
    prefs.server_url = server.url
    prefs.poll_interval = 0.05
    module = importlib.import_module(ADDON)
    yield module
    addon_utils.disable(ADDON, default_set=True)


@pytest.fixture
def scene(addon, tmp_path: Path) -> Iterator[bpy.types.Scene]:
    """A clean scene in a .blend saved to this test's folder (so clips go to //movie_director/)."""
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
    """Run the add-on's timer tick until `done()` is true (timers never fire in the bpy module)."""

    def run(done: Callable[[], bool], timeout: float = 30.0) -> float:
        started = time.monotonic()
        while not done():
            assert time.monotonic() - started < timeout, "timed out driving the tick"
            addon.ui.tick.tick()
            time.sleep(0.02)
        addon.ui.tick.tick()
        return time.monotonic() - started

    return run
