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
import time
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


def startup(rounds: int) -> tuple[list[float], list[float], str]:
    """(seconds with the extension, seconds without, Blender's version) over `rounds` alternating starts."""
    try:
        chroot = real_blender.check_available()
        zip_path = real_blender.ensure_zip()
    except real_blender.Unavailable as reason:
        raise Unavailable(str(reason)) from None
    with_ext: list[float] = []
    without: list[float] = []
    with real_blender.xvfb() as display, real_blender.mounted(chroot), real_blender.workspace(chroot) as ws_on, \
            real_blender.workspace(chroot) as ws_off:
        for ws in (ws_on, ws_off):
            installed = real_blender.install_extension(ws, zip_path)
            if installed.returncode != 0:
                raise RuntimeError(f"installing the extension failed: {installed.tail(20)}")
        disable = ws_off.write("disable.py", DISABLE)
        off = real_blender.run_blender(ws_off, ["-b", "--python", disable], timeout=120)
        if off.returncode != 0:
            raise RuntimeError(f"disabling the extension failed: {off.tail(20)}")
        ready_on, ready_off = ws_on.write("ready.py", READY), ws_off.write("ready.py", READY)
        _, said = _start(ws_on, display, ready_on)  # warm-up: bytecode written, fonts cached …
        if "BMD-ENABLED True" not in said:
            raise RuntimeError("the extension was not enabled at start-up")
        _, said = _start(ws_off, display, ready_off)
        if "BMD-ENABLED False" not in said:
            raise RuntimeError("the extension was still enabled where it was disabled")
        for n in range(rounds):
            order = [(ws_on, ready_on, with_ext), (ws_off, ready_off, without)]
            for ws, script, into in (order if n % 2 == 0 else order[::-1]):
                into.append(_start(ws, display, script)[0])
    return with_ext, without, real_blender.blender_version(chroot)


def available() -> str:
    """'' when the real program can run here, else why not."""
    try:
        real_blender.check_available()
    except real_blender.Unavailable as reason:
        return str(reason)
    return ""


__all__ = ["Path", "Unavailable", "available", "startup"]
