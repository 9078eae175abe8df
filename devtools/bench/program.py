"""The real Blender program's start-up with the extension enabled, against the same without it.

Debian's Blender in its chroot on Xvfb (devtools/real_blender.py; needs root and the chroot that
scripts/real_blender.sh builds). Two user folders get the extension zip a user installs; in one it
is then disabled, so that both start with the same preferences and files. Each start opens a
window and quits from the first timer (the event loop is running: Blender is ready to use); the
time is the process's whole life, seen from the host. One warm-up start each (Python writes the
extension's bytecode then, as on a user's first start), then starts alternate.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from devtools import real_blender

MODULE = "bl_ext.user_default.blender_movie_director"
READY = ("import bpy, os, sys\n"
         "def ready():\n"
         f"    print('BMD-ENABLED', {MODULE!r} in bpy.context.preferences.addons, flush=True)\n"
         "    os._exit(0)\n"
         "bpy.app.timers.register(ready, first_interval=0.0)\n")
DISABLE = ("import addon_utils, bpy\n"
           f"addon_utils.disable({MODULE!r}, default_set=True)\n"
           "bpy.ops.wm.save_userpref()\n")


class Unavailable(RuntimeError):
    pass


def _start(ws: real_blender.Workspace, display: real_blender.Display, script: str, timeout: float = 120.0) -> tuple[float, str]:
    env = ws.env(display)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Blender keeps the extension's bytecode
    cmd = ["chroot", str(ws.chroot), "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()), "blender",
           "-p", "0", "0", "800", "600", "--python", script]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    took = time.perf_counter() - started
    if done.returncode != 0 or "BMD-ENABLED" not in done.stdout:
        raise RuntimeError(f"Blender did not start cleanly (exit {done.returncode}): {(done.stdout + done.stderr)[-1500:]}")
    return took, done.stdout


def empty_twin(zip_path: Path, folder: Path) -> Path:
    """The extension's zip with the same manifest and wheels but a package that does nothing: what
    Blender itself spends on an enabled extension that ships these wheels."""
    twin = folder / f"empty-{zip_path.name}"
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(twin, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == "blender_manifest.toml" or item.filename.startswith("wheels/"):
                target.writestr(item, source.read(item))
        target.writestr("__init__.py", "def register():\n    pass\n\n\ndef unregister():\n    pass\n")
    return twin


def startup(rounds: int) -> tuple[list[float], list[float], list[float], str]:
    """(seconds with the extension, without it, with its empty twin, Blender's version) over `rounds`
    rounds of starts in a rotating order."""
    try:
        chroot = real_blender.check_available()
        zip_path = real_blender.ensure_zip()
    except real_blender.Unavailable as reason:
        raise Unavailable(str(reason)) from None
    with_ext: list[float] = []
    without: list[float] = []
    twin: list[float] = []
    with real_blender.xvfb() as display, real_blender.mounted(chroot), real_blender.workspace(chroot) as ws_on, \
            real_blender.workspace(chroot) as ws_off, real_blender.workspace(chroot) as ws_twin, \
            tempfile.TemporaryDirectory() as scratch:
        for ws, source in ((ws_on, zip_path), (ws_off, zip_path), (ws_twin, empty_twin(zip_path, Path(scratch)))):
            installed = real_blender.install_extension(ws, source)
            if installed.returncode != 0:
                raise RuntimeError(f"installing the extension failed: {installed.tail(20)}")
        disable = ws_off.write("disable.py", DISABLE)
        off = real_blender.run_blender(ws_off, ["-b", "--python", disable], timeout=120)
        if off.returncode != 0:
            raise RuntimeError(f"disabling the extension failed: {off.tail(20)}")
        ready = {ws.path: ws.write("ready.py", READY) for ws in (ws_on, ws_off, ws_twin)}
        for ws, enabled in ((ws_on, True), (ws_off, False), (ws_twin, True)):  # warm-up: bytecode, fonts …
            _, said = _start(ws, display, ready[ws.path])
            if f"BMD-ENABLED {enabled}" not in said:
                raise RuntimeError(f"the extension was {'not ' if enabled else ''}enabled at start-up")
        order = [(ws_on, with_ext), (ws_off, without), (ws_twin, twin)]
        for n in range(rounds):
            for ws, into in order[n % 3:] + order[:n % 3]:
                into.append(_start(ws, display, ready[ws.path])[0])
    return with_ext, without, twin, real_blender.blender_version(chroot)


def available() -> str:
    """'' when the real program can run here, else why not."""
    try:
        real_blender.check_available()
    except real_blender.Unavailable as reason:
        return str(reason)
    return ""


__all__ = ["Unavailable", "available", "empty_twin", "startup"]
