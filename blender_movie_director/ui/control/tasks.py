"""Control videos being rendered, without freezing Blender.

In the Blender program a control video renders in a background Blender (`bpy.app.binary_path -b`)
on a file of its own: just the scene to render and what it uses, written by `bpy.data.libraries.write`
(a copy that leaves the open file, its save handlers and its journal alone). A reader thread follows
the renderer's `BMD-CONTROL done/total` lines; the timer here (a plain function: tests call it) turns
them into the Jobs panel's progress, notices the end, and on success hands the videos to the task's
`on_done`, on the main thread, which queues the shot. Cancel ends the process.

Where Blender runs as a module (the test suites: no program to start), the render happens in this
process, at once, on a copy of the scene.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bpy

from . import scene_render

RENDERER = Path(scene_render.__file__)
POLL_SECONDS = 0.2
REDRAW_SECONDS = 0.5
KEEP_ENDED = 6  # ended renders still listed (their errors stay readable)
# set True to render in this process even in the program (tests measure both ways)
FORCE_IN_PROCESS = os.environ.get("BMD_CONTROL_IN_PROCESS") == "1"


@dataclass
class ControlTask:
    """One render of a shot's control video (and its mask)."""

    id: str
    label: str
    spec: dict[str, Any]
    outputs: list[Path]
    on_done: Callable[[list[Path]], None]
    state: str = "rendering"  # rendering, done, failed, cancelled
    done: int = 0
    total: int = 1
    error: str = ""
    in_background: bool = False
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    process: subprocess.Popen | None = None
    lines: deque = field(default_factory=lambda: deque(maxlen=40))
    folder: Path | None = None  # its scratch folder (the .blend copy, the spec, the frames)

    @property
    def progress(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    @property
    def running(self) -> bool:
        return self.state == "rendering"

    def describe(self) -> str:
        if self.state == "rendering":
            return f"Control {self.done}/{self.total}"
        return {"done": "Control rendered", "cancelled": "Cancelled"}.get(self.state, f"Failed: {self.error}")


_tasks: dict[str, ControlTask] = {}
_lock = threading.Lock()
_shown: dict[str, int] = {}  # frames done as last drawn, per task
_drawn_at = 0.0


def background_available() -> bool:
    """A Blender program to start (not the bpy module, whose binary_path is empty)."""
    binary = bpy.app.binary_path
    return not FORCE_IN_PROCESS and bool(binary) and Path(binary).is_file() and os.access(binary, os.X_OK)


def tasks() -> list[ControlTask]:
    """Newest first."""
    with _lock:
        return sorted(_tasks.values(), key=lambda t: t.started, reverse=True)


def get(task_id: str) -> ControlTask | None:
    return _tasks.get(task_id)


def start(label: str, spec: dict[str, Any], roots: list[Any], scratch: Path,
          on_done: Callable[[list[Path]], None]) -> ControlTask:
    """Render `spec`'s videos (see scene_render.render). `roots` are the data blocks the renderer needs
    (the scenes, with everything they use). Returns at once in the program; renders now in bpy."""
    task = ControlTask(id=uuid.uuid4().hex[:10], label=label, spec=spec,
                       outputs=[Path(v["output"]) for v in spec["videos"]], on_done=on_done,
                       total=len(spec["videos"]) * (int(spec["frames"]) + 1))
    task.folder = scratch / task.id
    task.folder.mkdir(parents=True, exist_ok=True)
    spec["work_dir"] = str(task.folder)
    with _lock:
        _tasks[task.id] = task
        _forget_old()
    if background_available():
        _launch(task, roots)
    else:
        _render_here(task)
    return task


def _render_here(task: ControlTask) -> None:
    def progress(done: int, total: int) -> None:
        task.done, task.total = done, total

    try:
        scene_render.render(task.spec, progress)
    except Exception as error:  # a render that fails is the task's error, shown in the Jobs panel
        _end(task, "failed", f"{type(error).__name__}: {error}")
        return
    _finish(task)


def _launch(task: ControlTask, roots: list[Any]) -> None:
    assert task.folder is not None
    blend = task.folder / "control.blend"
    # just what the render needs; external files by absolute path (the copy lives elsewhere)
    bpy.data.libraries.write(str(blend), set(roots), path_remap="ABSOLUTE", fake_user=True)
    spec_file = task.folder / "spec.json"
    spec_file.write_text(json.dumps(task.spec))
    autoexec = "-y" if bpy.context.preferences.filepaths.use_scripts_auto_execute else "-Y"
    command = [bpy.app.binary_path, "-b", "--factory-startup", "-noaudio", autoexec, str(blend),
               "--python-exit-code", "3", "--python", str(RENDERER), "--", str(spec_file)]
    task.in_background = True
    try:
        task.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, text=True, errors="replace")
    except OSError as error:
        _end(task, "failed", f"could not start Blender in the background: {error}")
        return
    threading.Thread(target=_follow, args=(task,), name=f"bmd-control-{task.id}", daemon=True).start()
    _ensure_timer()


def _follow(task: ControlTask) -> None:
    """Worker thread: the renderer's output, line by line (progress, and the last lines for errors)."""
    process = task.process
    assert process is not None and process.stdout is not None
    for line in process.stdout:
        line = line.rstrip()
        if line.startswith(scene_render.PROGRESS_PREFIX):
            counts = line[len(scene_render.PROGRESS_PREFIX):].split("/")
            if len(counts) == 2 and all(c.isdigit() for c in counts):
                task.done, task.total = int(counts[0]), max(1, int(counts[1]))
        elif line.strip():
            task.lines.append(line)


def tick() -> float | None:
    """Timer: end the renders whose process has exited. None (stop) when nothing renders. The Jobs panel
    is redrawn when a render ends, and for progress at most every REDRAW_SECONDS (a sidebar full of
    panels takes tens of milliseconds to draw on a software GPU)."""
    global _drawn_at
    changed = moved = False
    for task in tasks():
        if not task.running or task.process is None:
            continue
        code = task.process.poll()
        if code is None:
            moved = moved or _shown.get(task.id) != task.done
            continue
        changed = True
        if code == 0 and all(p.is_file() for p in task.outputs):
            _finish(task)
        else:
            last = next((line for line in reversed(task.lines) if "Error" in line or "error" in line), "")
            last = last or (task.lines[-1] if task.lines else f"exit code {code}")
            _end(task, "failed", f"the background render stopped: {last[:300]}")
    if changed or (moved and time.monotonic() - _drawn_at >= REDRAW_SECONDS):
        _drawn_at = time.monotonic()
        _shown.update({t.id: t.done for t in tasks()})
        _redraw()
    return POLL_SECONDS if any(t.running and t.process is not None for t in tasks()) else None


def _finish(task: ControlTask) -> None:
    task.done = task.total
    try:
        task.on_done(task.outputs)
    except Exception as error:  # e.g. the shot's model cannot take it: the task says so
        _end(task, "failed", str(error))
        return
    _end(task, "done")


def cancel(task_id: str) -> None:
    task = _tasks.get(task_id)
    if task is None or not task.running:
        return
    if task.process is not None and task.process.poll() is None:
        task.process.terminate()
        try:
            task.process.wait(2.0)
        except subprocess.TimeoutExpired:
            task.process.kill()
    _end(task, "cancelled")


def forget(task_id: str) -> None:
    with _lock:
        task = _tasks.get(task_id)
        if task is not None and not task.running:
            del _tasks[task_id]


def _end(task: ControlTask, state: str, error: str = "") -> None:
    task.state, task.error, task.ended = state, error, time.monotonic()
    if task.folder is not None:
        shutil.rmtree(task.folder, ignore_errors=True)
    _redraw()


def _forget_old() -> None:
    ended = sorted((t for t in _tasks.values() if not t.running), key=lambda t: t.started, reverse=True)
    for task in ended[KEEP_ENDED:]:
        del _tasks[task.id]


def _ensure_timer() -> None:
    if not bpy.app.timers.is_registered(tick):  # persistent: a render outlives opening another file
        bpy.app.timers.register(tick, first_interval=POLL_SECONDS, persistent=True)


def _redraw() -> None:
    """The sidebars only: redrawing a whole Sequencer also redraws its preview, which renders a scene
    strip's 3D scene again (a tenth of a second or more on a software GPU) for nothing that changed."""
    wm = getattr(bpy.context, "window_manager", None)
    for window in getattr(wm, "windows", []):
        for area in window.screen.areas:
            if area.type == "SEQUENCE_EDITOR":
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()


def shutdown() -> None:
    """The add-on is disabled: stop what still renders."""
    for task in tasks():
        cancel(task.id)
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)
    with _lock:
        _tasks.clear()
