"""Runs INSIDE the real Blender program, imported by the tours (tour.py, control_tour.py,
sequence_tour.py; copied beside them): the machinery they share to drive a window as a user does.

A tour is a generator run one step at a time on bpy.app.timers, so the window draws and the add-on's
own timer runs between steps: it yields a number (seconds until the next step) or a Wait (a condition
with a timeout). The host (devtools/real_blender.Requests) answers what a script cannot do itself
(screenshots of the display, keys, stopping the server) through files in results/requests/.
The report is rewritten after every step; the traceback goes in it on any failure; then Blender quits.
Imports nothing from the repository: the code under test is the installed extension only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import bpy

ADDON = "bl_ext.user_default.blender_movie_director"
REQUEST = json.loads(Path(sys.argv[sys.argv.index("--") + 1]).read_text())
RESULTS = Path(REQUEST["results"])
STARTED = time.monotonic()


def ui(name: str):
    """The add-on's UI module `name` (addon, tick, shots…): the one place that knows its package layout."""
    return importlib.import_module(f"{ADDON}.ui.{name}")


def manager():
    return ui("addon").manager()


class Wait:
    def __init__(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        self.condition, self.what, self.timeout = condition, what, timeout
        self.deadline = time.monotonic() + timeout


class Driver:
    """Runs one tour and keeps its report (results/<report_name>).

    `failure_screenshot`: on a failure, photograph what the user sees under that name before quitting.
    `final`: facts added to the report as it ends (whether or not the tour finished)."""

    def __init__(self, report_name: str, *, failure_screenshot: str = "",
                 final: Callable[[], dict] | None = None) -> None:
        self.report_name = report_name
        self.failure_screenshot = failure_screenshot
        self.final = final
        self.deadline = STARTED + float(REQUEST.get("deadline_seconds", 240))
        self.report: dict = {"blender": bpy.app.version_string, "python": sys.version.split()[0], "steps": [],
                             "screenshots": {}, "observed": {}, "error": "", "finished": False}
        self._scenario: Iterator | None = None
        self._waiting: Wait | None = None
        self._failed = False
        self._asked = 0

    # -- the report

    def step(self, name: str, **facts) -> None:
        self.report["steps"].append({"name": name, "t": round(time.monotonic() - STARTED, 2), **facts})
        print(f"{self.report_name}: {name}", flush=True)
        self.write()

    def write(self) -> None:
        tmp = RESULTS / f"{self.report_name}.tmp"
        tmp.write_text(json.dumps(self.report, indent=1, default=str))
        tmp.replace(RESULTS / self.report_name)

    # -- the step machine

    def run(self, scenario: Iterator, first_interval: float = 1.0) -> None:
        self._scenario = scenario
        self.write()
        bpy.app.timers.register(self._pump, first_interval=first_interval, persistent=True)

    def _pump(self) -> float | None:
        try:
            if time.monotonic() > self.deadline and not self._failed:
                raise TimeoutError(f"the tour took longer than {REQUEST.get('deadline_seconds', 240)} s")
            if self._waiting is not None:
                if not self._waiting.condition():
                    if time.monotonic() > self._waiting.deadline:
                        raise TimeoutError(f"waited {self._waiting.timeout:g} s for {self._waiting.what}")
                    return 0.05
                self._waiting = None
            item = next(self._scenario)
            if isinstance(item, Wait):
                self._waiting = item
                return 0.02
            return float(item)
        except StopIteration:
            self.report["finished"] = not self._failed
            self._finish()
        except Exception:
            if self._failed:  # the failure's own screenshot failed: give up on it
                self.report["screenshot_error"] = traceback.format_exc()
                self._finish()
                return None
            self.report["error"] = traceback.format_exc()
            print(self.report["error"], file=sys.stderr, flush=True)
            self._failed, self._waiting = True, None
            if not self.failure_screenshot:
                self._finish()
                return None
            self._scenario = self.screenshot(self.failure_screenshot)  # what the user sees now
            return 0.1
        return None

    def _finish(self) -> None:
        self.report["seconds"] = round(time.monotonic() - STARTED, 2)
        if self.final is not None:
            try:
                self.report["final"] = self.final()
            except Exception:
                self.report["final_error"] = traceback.format_exc()
        self.write()
        sys.stdout.flush()
        sys.stderr.flush()
        bpy.app.timers.register(_exit_anyway, first_interval=15.0, persistent=True)
        try:
            with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
                bpy.ops.wm.quit_blender()
        except Exception:
            os._exit(0 if self.report["finished"] else 1)

    # -- the host's help

    def ask(self, action: str, timeout: float = 30.0, **body):
        """Ask the host (devtools/real_blender.Requests) and wait for its answer."""
        self._asked += 1
        folder = RESULTS / "requests"
        folder.mkdir(exist_ok=True)
        request = folder / f"{self._asked:03d}-{action}.json"
        tmp = request.with_suffix(".tmp")
        tmp.write_text(json.dumps(body))
        tmp.rename(request)
        done = request.with_suffix(".done")
        yield Wait(done.exists, timeout, f"the host to {action}")
        answer = json.loads(done.read_text())
        if not answer.get("ok"):
            raise RuntimeError(f"the host could not {action}: {answer.get('error')}")
        return answer

    def screenshot(self, name: str, **facts):
        """Let the window draw what changed, then have the host photograph the display."""
        redraw_all()
        yield 0.6
        redraw_all()
        yield 0.6
        answer = yield from self.ask("screenshot", name=name)
        self.report["screenshots"][name] = {"path": answer["path"], **facts}
        self.write()
        return answer

    def close_splash(self):
        yield from self.ask("key", key="Escape")  # as a user closes it


def _exit_anyway() -> None:
    os._exit(3)  # quit_blender did not end the program


# ---------------------------------------------------------------------------------- the window


def redraw_all() -> None:
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            area.tag_redraw()


def sequencer_context() -> dict:
    window = bpy.context.window_manager.windows[0]
    area = next(a for a in window.screen.areas if a.type == "SEQUENCE_EDITOR")
    region = next(r for r in area.regions if r.type == "WINDOW")
    return {"window": window, "screen": window.screen, "area": area, "region": region, "scene": window.scene}


def open_director_tab(view_type: str = "SEQUENCER_PREVIEW", maximize: bool = True):
    """Turn the big 3D View into a Sequencer, maximize it (Ctrl Space), open the sidebar and pick the
    Director tab."""
    window = bpy.context.window_manager.windows[0]
    area = max(window.screen.areas, key=lambda a: a.width * a.height)
    area.type = "SEQUENCE_EDITOR"
    yield 0.3
    area.spaces.active.view_type = view_type
    if maximize:
        with bpy.context.temp_override(window=window, screen=window.screen, area=area):
            bpy.ops.screen.screen_full_area()
        yield 0.3
        area = next(a for a in window.screen.areas if a.type == "SEQUENCE_EDITOR")
    area.spaces.active.show_region_ui = True
    yield 0.5  # the sidebar region exists once the area has drawn with it
    sidebar = next(r for r in area.regions if r.type == "UI")
    sidebar.active_panel_category = "Director"
    yield 0.3


def scroll_sidebar(down: bool, notches: int = 40) -> None:
    """The Director tab is taller than the screen: scroll its sidebar down (or back to the top)."""
    ctx = sequencer_context()
    sidebar = next(r for r in ctx["area"].regions if r.type == "UI")
    with bpy.context.temp_override(window=ctx["window"], screen=ctx["screen"], area=ctx["area"], region=sidebar):
        for _ in range(notches):
            (bpy.ops.view2d.scroll_down if down else bpy.ops.view2d.scroll_up)(deltay=100)


def connect(prefs_wait: float = 5.0):
    """Point the preferences at the host's server and press Connect."""
    entry = bpy.context.preferences.addons.get(ADDON)
    if entry is None:
        raise RuntimeError(f"{ADDON} is not enabled after install; enabled: "
                           f"{sorted(a.module for a in bpy.context.preferences.addons)}")
    prefs = entry.preferences
    prefs.server_url = REQUEST["server_url"]
    prefs.poll_interval = 0.1
    if hasattr(prefs, "server_wait"):  # unsent jobs wait this long for a server that is down (default minutes)
        prefs.server_wait = prefs_wait
    bpy.ops.movie_director.connect()
    yield Wait(lambda: manager().server.connected or bool(manager().server.error), 30, "Connect to answer")
    if not manager().server.connected:
        raise RuntimeError(f"Connect failed: {manager().server.error}")


def save_as(filepath: str) -> None:
    with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
        bpy.ops.wm.save_as_mainfile(filepath=filepath)


def save() -> None:
    with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
        bpy.ops.wm.save_mainfile()


# ---------------------------------------------------------------------------------- what there is


def strips() -> list:
    editor = bpy.context.scene.sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def strip_collection(editor):
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def strip_facts(strip) -> dict:
    facts = {"name": strip.name, "type": strip.type, "channel": strip.channel,
             "frame_start": strip.frame_final_start, "frames": strip.frame_final_duration,
             "props": {k: (v if isinstance(v, (int, float, str, bool)) else str(v))
                       for k, v in strip.items() if k.startswith("bmd_")}}
    if hasattr(strip, "filepath"):
        facts["filepath"] = strip.filepath
        facts["file_exists"] = Path(bpy.path.abspath(strip.filepath)).is_file()
    if strip.type == "SPEED":
        facts["input"] = strip.input_1.name if strip.input_1 else None
        facts["speed_control"] = getattr(strip, "speed_control", None)
        facts["speed_factor"] = getattr(strip, "speed_factor", None)
    if strip.type == "TEXT":
        facts["text"] = strip.text
    return facts


def strip_of(job_id: str):
    """The clip a job placed (not its placeholder)."""
    return next((s for s in strips() if s.get("bmd_job_id") == job_id and "bmd_model" in s), None)


def is_placed(job_id: str) -> bool:
    return manager().get(job_id).state.is_terminal and ui("tick").is_placed(job_id)

