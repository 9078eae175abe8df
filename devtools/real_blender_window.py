"""A tour in a window of the real Blender program (a script in devtools/in_blender/ run on its step
machine, driver.py), from the host: the extension zip installed in a fresh user folder, the script run
on Xvfb with the host answering its requests (screenshots, keys), its report and files (the .blend,
the clips) copied out. Uses devtools/real_blender.py's chroot, display, mounts and workspace. Plain
Python (no bpy, no pytest): tests/program and the demo's notes use it. Needs root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from devtools import real_blender as rb


@dataclass
class WindowTour:
    install: rb.Run
    run: rb.Run
    report: dict
    results: Path  # the tour's results folder, copied out (its report, the .blend, movie_director/…)
    screenshots: dict[str, Path]
    seconds: float


def window_tour(script: str, report_name: str, zip_path: Path, server: rb.Server, results: Path,
                screenshots: Path, *, blend: str, helpers: tuple[str, ...] = (), timeout: float = 300.0,
                extra: dict | None = None) -> WindowTour:
    """Run devtools/in_blender/`script` (with driver.py and `helpers` beside it) in a window; its report
    is results/`report_name`, its screenshots screenshots/<name>.png (only those it took are returned)."""
    chroot = rb.check_available()
    started = time.monotonic()
    screenshots.mkdir(parents=True, exist_ok=True)
    with rb.xvfb() as display, rb.mounted(chroot), rb.workspace(chroot) as ws:
        install = rb.install_extension(ws, zip_path)
        request = ws.write(f"{Path(script).stem}.json", json.dumps({
            "results": ws.inside(ws.results), "server_url": server.url, "blend": ws.inside(ws.results / blend),
            "deadline_seconds": timeout - 20, **(extra or {})}))
        taken: list[str] = []

        def shoot(body: dict) -> dict:
            taken.append(body["name"])
            return {"path": str(display.screenshot(screenshots / f"{body['name']}.png"))}

        def press(body: dict) -> dict:
            subprocess.run(["xdotool", "key", body["key"]], env={**os.environ, "DISPLAY": display.name},
                           check=True, capture_output=True, timeout=10)
            return {}

        answer = rb.Requests(ws, {"screenshot": shoot, "key": press})
        for helper in ("driver.py", *helpers):
            ws.copy_in(rb.IN_BLENDER / helper)
        inside_script = ws.copy_in(rb.IN_BLENDER / script)
        run = rb.run_blender(ws, ["-p", "0", "0", str(display.size[0]), str(display.size[1]), "--python",
                                  inside_script, "--", request], display=display, timeout=timeout,
                             while_running=answer, log=ws.results / f"{Path(script).stem}.log")
        report = _read(ws.results / report_name)
        inside = ws.inside(ws.results)
        shutil.rmtree(results, ignore_errors=True)
        shutil.copytree(ws.results, results, ignore=shutil.ignore_patterns("requests"))
    # the paths in the report are inside the chroot's workspace: point them at the copy
    report = json.loads(json.dumps(report).replace(inside, str(results)))
    shots = {name: screenshots / f"{name}.png" for name in taken}
    return WindowTour(install, run, report, results, shots, round(time.monotonic() - started, 1))


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return {"error": f"no report at {path.name}: {error!r}"}
