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
    """Start a local server on the preferences' port (simulated, or real Wan2GP); returns at once."""
    p = addon.prefs()
    real = p is not None and not p.simulate
    if real and not p.wan2gp_dir:
        with _lock:
            _state["error"] = "Set the Wan2GP Folder in the preferences (or tick Simulated Engine)"
        return
    url = urlparse(addon.server_url())
    config = launcher.LaunchConfig(
        python=Path(p.server_python) if p and p.server_python else Path(""),
        state_dir=addon.output_dir() / "server", output_dir=addon.output_dir() / "server" / "outputs",
        port=url.port or 7860, wan2gp_dir=Path(p.wan2gp_dir).expanduser() if real else None)
    with _lock:
        if _state["starting"]:
            return
        _state.update(starting=True, error="")
    threading.Thread(target=_start, args=(config,), name="bmd-launcher", daemon=True).start()


def _start(config: launcher.LaunchConfig) -> None:
    global _server
    explicit = config.python if str(config.python) not in ("", ".") else None
    try:
        if config.wan2gp_dir is not None:
            config.python = launcher.find_wan2gp_python(config.wan2gp_dir, explicit)
        else:
            config.python = launcher.find_server_python(explicit)
        # real Wan2GP imports torch and its models at start: give it minutes, not seconds
        server = launcher.start_server(config, wait_timeout=900 if config.wan2gp_dir else 90)
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
