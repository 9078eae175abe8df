"""Running the add-on inside the bpy module: stage it as an extension, enable it, drive its tick.

Set BLENDER_USER_RESOURCES before importing this (it imports bpy) to keep the user's Blender
configuration out of it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import addon_utils
import bpy  # first: it puts Blender's own modules (addon_utils) on the path

from devtools.extension.stage import copy_source

ADDON = "bl_ext.user_default.blender_movie_director"


def stage_extension() -> Path:
    """The package plus its manifest, laid out as Blender's user_default repository holds it."""
    repos = bpy.context.preferences.extensions.repos
    repo_dir = Path(next(r.directory for r in repos if r.module == "user_default"))
    repo_dir.mkdir(parents=True, exist_ok=True)
    return copy_source(repo_dir / "blender_movie_director")


@contextlib.contextmanager
def restricted_like_blender() -> Iterator[None]:
    """What the Blender program does around an add-on's register(): bpy.data and bpy.context become
    Blender's restricted stand-ins (no filepath, no scenes). The bpy module's own RestrictBlend patches
    another `bpy` object than the one add-ons import, so it restricts nothing: swap them here."""
    try:
        import _bpy_restrict_state as restrict  # 4.4+
    except ImportError:
        import bpy_restrict_state as restrict  # type: ignore[no-redef]  # 4.2
    module = sys.modules["bpy"]
    data, context = module.data, module.context
    module.data, module.context = restrict._data_restrict, restrict._context_restrict
    try:
        yield
    finally:
        module.data, module.context = data, context


def enable_addon(server_url: str, poll_interval: float = 0.05):
    """Enable the staged extension as the Blender program does (register() restricted), point it at
    the server; returns the add-on's module."""
    import importlib

    def fail(exc: Exception) -> None:
        raise exc

    stage_extension()
    with restricted_like_blender():
        addon_utils.enable(ADDON, default_set=True, handle_error=fail)
    if ADDON not in bpy.context.preferences.addons:
        raise RuntimeError("the extension did not enable")
    prefs = bpy.context.preferences.addons[ADDON].preferences
    prefs.server_url = server_url
    prefs.poll_interval = poll_interval
    importlib.import_module(ADDON)
    return LiveAddon()


class LiveAddon:
    """The add-on's package as it is now: a failed enable drops the module and the next enable imports
    a new one, so tests look it up on each use instead of keeping the first module object."""

    def __getattr__(self, name: str):
        package = sys.modules[ADDON]
        try:
            return getattr(package, name)
        except AttributeError:  # a subpackage imported before a failed enable is in sys.modules, not on the package
            import importlib

            return importlib.import_module(f"{ADDON}.{name}")


def drive(module, done: Callable[[], bool], timeout: float = 60.0, on_tick: Callable[[], None] | None = None) -> float:
    """Call the add-on's timer tick until `done()` (bpy.app.timers never fire in the bpy module)."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"still not done after {timeout:g} s")
        module.ui.tick.tick()
        if on_tick:
            on_tick()
        time.sleep(0.02)
    module.ui.tick.tick()
    return time.monotonic() - started


def jobs_finished(module) -> Callable[[], bool]:
    manager = module.ui.addon.manager()
    return lambda: all(r.state.is_terminal for r in manager.jobs()) and not module.ui.tick._waiting
