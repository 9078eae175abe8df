"""The panel's Start/Stop button: runs the launcher on a worker thread (start-up takes seconds)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import bpy

from ..common.addresses import DEFAULT_PORT
from ..common.errors import DirectorError
from . import addon

if TYPE_CHECKING:  # imported when a server is started: argparse, socket and the install checks stay off enable
    from ..launcher import process as launcher

_lock = threading.Lock()
_server: launcher.ServerProcess | None = None
_state = {"starting": False, "error": "", "hint": ""}


def state() -> dict[str, object]:
    with _lock:
        return {**_state, "running": _server is not None and _server.alive(), "url": _server.url if _server else ""}


def start() -> None:
    """Start a local server on the preferences' port (simulated, or real Wan2GP); returns at once."""
    p = addon.prefs()
    real = p is not None and not p.simulate
    if real and not p.wan2gp_dir:
        with _lock:
            _state["error"] = "Set Wan2GP Folder in the add-on's preferences (or tick Simulated Engine)"
        return
    from ..launcher import process as launcher

    url = urlparse(addon.server_url())
    config = launcher.LaunchConfig(
        python=Path(bpy.path.abspath(p.server_python)) if p and p.server_python else Path(""),
        state_dir=addon.output_dir() / "server", output_dir=addon.output_dir() / "server" / "outputs",
        port=url.port or DEFAULT_PORT, wan2gp_dir=Path(p.wan2gp_dir).expanduser() if real else None)
    with _lock:
        if _state["starting"]:
            return
        _state.update(starting=True, error="", hint="")
    threading.Thread(target=_start, args=(config,), name="bmd-launcher", daemon=True).start()


def _start(config: launcher.LaunchConfig) -> None:
    from ..launcher import process as launcher

    global _server
    try:
        config.python = launcher.choose_python(config.wan2gp_dir, config.python)
        server = launcher.start_server(config)
    except DirectorError as error:
        with _lock:
            _state.update(starting=False, error=error.message, hint=error.hint)
        return
    with _lock:
        _server = server
        _state.update(starting=False, error="", hint="")
    manager = addon.manager_if_running()
    if manager is not None:
        manager.set_url(server.url)
        manager.refresh_server()


def stop() -> None:
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.stop()
