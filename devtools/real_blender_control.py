"""The control-video tour in the real Blender program (devtools/in_blender/control_tour.py), from the
host: the extension zip installed in a fresh user folder, the tour run in a window on Xvfb, its report
and files (the .blend, the control videos, the clips) copied out. Uses devtools/real_blender.py's
chroot, display, mounts and workspace. Plain Python (no bpy, no pytest): tests/program and the demo's
notes use it. Needs root.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from devtools import real_blender as rb


@dataclass
class ControlTour:
    install: rb.Run
    run: rb.Run
    report: dict
    results: Path  # the tour's results folder, copied out (control.json, project.blend, movie_director/…)
    screenshots: dict[str, Path]
    seconds: float


def control_tour(zip_path: Path, server: rb.Server, results: Path, screenshots: Path,
                 timeout: float = 300.0) -> ControlTour:
    chroot = rb.check_available()
    started = time.monotonic()
    screenshots.mkdir(parents=True, exist_ok=True)
    with rb.xvfb() as display, rb.mounted(chroot), rb.workspace(chroot) as ws:
        install = rb.install_extension(ws, zip_path)
        request = ws.write("control.json", json.dumps({
            "results": ws.inside(ws.results), "server_url": server.url,
            "blend": ws.inside(ws.results / "control.blend"), "deadline_seconds": timeout - 20}))

        def shoot(body: dict) -> dict:
            return {"path": str(display.screenshot(screenshots / f"{body['name']}.png"))}

        def press(body: dict) -> dict:
            import os
            import subprocess

            subprocess.run(["xdotool", "key", body["key"]], env={**os.environ, "DISPLAY": display.name},
                           check=True, capture_output=True, timeout=10)
            return {}

        answer = rb.Requests(ws, {"screenshot": shoot, "key": press})
        ws.copy_in(rb.IN_BLENDER / "cube_scene.py")
        script = ws.copy_in(rb.IN_BLENDER / "control_tour.py")
        run = rb.run_blender(ws, ["-p", "0", "0", str(display.size[0]), str(display.size[1]), "--python", script,
                                  "--", request], display=display, timeout=timeout, while_running=answer,
                             log=ws.results / "control_tour.log")
        report = _read(ws.results / "control.json")
        inside = ws.inside(ws.results)
        shutil.rmtree(results, ignore_errors=True)
        shutil.copytree(ws.results, results, ignore=shutil.ignore_patterns("requests"))
    # the paths in the report are inside the chroot's workspace: point them at the copy
    report = json.loads(json.dumps(report).replace(inside, str(results)))
    shots = {p.stem: p for p in sorted(screenshots.glob("control-*.png"))}
    return ControlTour(install, run, report, results, shots, round(time.monotonic() - started, 1))


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return {"error": f"no report at {path.name}: {error!r}"}
