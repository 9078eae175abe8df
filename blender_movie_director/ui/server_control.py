"""The panel's Start/Stop button: runs the launcher on a worker thread (start-up takes seconds)."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlparse

from ..backend import launcher
from ..backend.wan2gp.errors import DirectorError
from . import addon

_lock = threading.Lock()
_server: launcher.ServerProcess | None = None
_state = {"starting": False, "error": ""}


def state() -> dict[str, object]:
    with _lock:
        return {**_state, "running": _server is not None and _server.alive(), "url": _server.url if _server else ""}


def start() -> None:
    """Start a local server on the preferences' port; returns at once."""
    p = addon.prefs()
    if p is not None and not p.simulate:
        with _lock:
            _state["error"] = "The real Wan2GP engine is not wired yet: tick Simulated Engine in the preferences"
        return
    url = urlparse(addon.server_url())
    config = launcher.LaunchConfig(
        python=Path(p.server_python) if p and p.server_python else Path(""),
        state_dir=addon.output_dir() / "server", output_dir=addon.output_dir() / "server" / "outputs",
        port=url.port or 7860)
    with _lock:
        if _state["starting"]:
            return
        _state.update(starting=True, error="")
    threading.Thread(target=_start, args=(config,), name="bmd-launcher", daemon=True).start()


def _start(config: launcher.LaunchConfig) -> None:
    global _server
    try:
        config.python = launcher.find_server_python(config.python if str(config.python) not in ("", ".") else None)
        server = launcher.start_server(config)
    except DirectorError as error:
        with _lock:
            _state.update(starting=False, error=str(error))
        return
    with _lock:
        _server = server
        _state.update(starting=False, error="")
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
