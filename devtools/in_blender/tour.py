"""Runs INSIDE the real Blender program (`blender --python tour.py -- request.json`, with a window):
what a user does with the Director tab, one step at a time on bpy.app.timers, so the window draws
and the add-on's own timer runs between steps as it does for a user.

Open the Sequencer's sidebar on the Director tab, Connect, set a shot, Generate, watch it run,
find the clip on the timeline, queue a second shot and cancel it, lose the server and see what the
panel says, save. The host answers requests this script cannot do itself (screenshots of the
display, stopping the server) through files in results/requests/ (devtools/real_blender.py).

Writes results/report.json after every step, and the traceback on any failure; then quits Blender.
Imports nothing from the repository: the code under test is the installed extension only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

import bpy

ADDON = "bl_ext.user_default.blender_movie_director"
REQUEST = json.loads(Path(sys.argv[sys.argv.index("--") + 1]).read_text())
RESULTS = Path(REQUEST["results"])
STARTED = time.monotonic()
PROMPTS = {"first": "a lighthouse on a cliff at dusk, waves below", "second": "a gull gliding over grey waves",
           "cancelled": "a storm rolling in over the sea", "failed": "the lighthouse beam sweeping the night",
           **REQUEST.get("prompts", {})}
DEADLINE = STARTED + float(REQUEST.get("deadline_seconds", 240))

report: dict = {"blender": bpy.app.version_string, "python": sys.version.split()[0], "steps": [],
                "screenshots": {}, "observed": {}, "error": "", "finished": False}


def addon_ui(name: str):
    """The add-on's UI module `name` (addon, tick…): the one place that knows its package layout."""
    return importlib.import_module(f"{ADDON}.ui.{name}")


def manager():
    return addon_ui("addon").manager()


# ---------------------------------------------------------------------------------- the step machine


class Wait:
    def __init__(self, condition, timeout: float, what: str) -> None:
        self.condition, self.what = condition, what
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout


def step(name: str, **facts) -> None:
    report["steps"].append({"name": name, "t": round(time.monotonic() - STARTED, 2), **facts})
    print(f"tour: {name}", flush=True)
    write_report()


def write_report() -> None:
    tmp = RESULTS / "report.json.tmp"
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(RESULTS / "report.json")


_scenario = None
_waiting: Wait | None = None
_failed = False


def pump() -> float | None:
    global _waiting, _scenario, _failed
    try:
        if time.monotonic() > DEADLINE and not _failed:
            raise TimeoutError(f"the tour took longer than {REQUEST.get('deadline_seconds', 240)} s")
        if _waiting is not None:
            if not _waiting.condition():
                if time.monotonic() > _waiting.deadline:
                    raise TimeoutError(f"waited {_waiting.timeout:g} s for {_waiting.what}")
                return 0.1
            _waiting = None
        item = next(_scenario)
        if isinstance(item, Wait):
            _waiting = item
            return 0.05
        return float(item)
    except StopIteration:
        report["finished"] = not _failed
        finish()
    except Exception:
        if _failed:  # the failure's own screenshot failed: give up on it
            report["screenshot_error"] = traceback.format_exc()
            finish()
            return None
        report["error"] = traceback.format_exc()
        print(report["error"], file=sys.stderr, flush=True)
        _failed, _waiting = True, None
        _scenario = screenshot("99-failed")  # what the user sees now, once the window has drawn it
        return 0.1
    return None


def finish() -> None:
    report["seconds"] = round(time.monotonic() - STARTED, 2)
    try:
        report["final"] = snapshot()
    except Exception:
        report["final_error"] = traceback.format_exc()
    write_report()
    sys.stdout.flush()
    sys.stderr.flush()
    bpy.app.timers.register(_exit_anyway, first_interval=15.0, persistent=True)
    try:
        with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
            bpy.ops.wm.quit_blender()
    except Exception:
        os._exit(0 if report["finished"] else 1)


def _exit_anyway() -> None:
    os._exit(3)  # quit_blender did not end the program


# ---------------------------------------------------------------------------------- the host's help


_asked = [0]


def ask(action: str, timeout: float = 30.0, **body):
    """Ask the host (devtools/real_blender.Requests) and wait for its answer."""
    _asked[0] += 1
    folder = RESULTS / "requests"
    folder.mkdir(exist_ok=True)
    request = folder / f"{_asked[0]:03d}-{action}.json"
    tmp = request.with_suffix(".tmp")
    tmp.write_text(json.dumps(body))
    tmp.rename(request)
    done = request.with_suffix(".done")
    yield Wait(done.exists, timeout, f"the host to {action}")
    answer = json.loads(done.read_text())
    if not answer.get("ok"):
        raise RuntimeError(f"the host could not {action}: {answer.get('error')}")
    return answer


def redraw_all() -> None:
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            area.tag_redraw()


def screenshot(name: str, **facts):
    """Let the window draw what changed, then have the host photograph the display."""
    redraw_all()
    yield 0.6
    redraw_all()
    yield 0.6
    answer = yield from ask("screenshot", name=name)
    report["screenshots"][name] = {"path": answer["path"], **facts, "seen": snapshot()}
    write_report()


# ---------------------------------------------------------------------------------- what there is


def sequencer_context() -> dict:
    window = bpy.context.window_manager.windows[0]
    area = next(a for a in window.screen.areas if a.type == "SEQUENCE_EDITOR")
    region = next(r for r in area.regions if r.type == "WINDOW")
    return {"window": window, "screen": window.screen, "area": area, "region": region,
            "scene": window.scene}


def strips() -> list:
    editor = bpy.context.scene.sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def strip_facts(strip) -> dict:
    facts = {"name": strip.name, "type": strip.type, "channel": strip.channel,
             "frame_start": strip.frame_final_start, "frames": strip.frame_final_duration,
             "props": {k: (v if isinstance(v, (int, float, str, bool)) else str(v))
                       for k, v in strip.items() if k.startswith("bmd_")}}
    if hasattr(strip, "filepath"):
        facts["filepath"] = strip.filepath
        facts["file_exists"] = Path(bpy.path.abspath(strip.filepath)).is_file()
    return facts


def job_facts(record) -> dict:
    status = record.status
    return {"id": record.id, "label": record.label, "state": record.state.value, "error": record.error,
            "progress": round(record.progress, 3), "phase_label": status.phase_label if status else "",
            "step": status.step if status else None, "total_steps": status.total_steps if status else None,
            "frame_start": record.slot.frame_start, "channel": record.slot.channel,
            "video_length": record.settings.video_length, "placed": record.placed,
            "placement_error": addon_ui("tick").placement_error(record.id)}


def server_facts() -> dict:
    info = manager().server
    status = info.status
    return {"url": info.url, "connected": info.connected, "error": info.error,
            "engine": status.engine.value if status else None, "busy": status.busy if status else None,
            "queue_length": status.queue_length if status else None, "models": len(info.models)}


def ui_facts() -> dict:
    try:
        ctx = sequencer_context()
    except StopIteration:
        return {"sequencer": False}
    space = ctx["area"].spaces.active
    sidebar = next((r for r in ctx["area"].regions if r.type == "UI"), None)
    return {"sequencer": True, "view_type": space.view_type, "show_region_ui": space.show_region_ui,
            "tab": getattr(sidebar, "active_panel_category", None) if sidebar else None,
            "sidebar_width": sidebar.width if sidebar else 0, "area_size": [ctx["area"].width, ctx["area"].height]}


def snapshot() -> dict:
    return {"server": server_facts(), "jobs": [job_facts(r) for r in sorted(manager().jobs(), key=lambda r: r.created_at)],
            "strips": [strip_facts(s) for s in strips()], "ui": ui_facts(), "frame_current": bpy.context.scene.frame_current,
            "filepath": bpy.data.filepath, "is_dirty": bpy.data.is_dirty}


def strip_of(job_id: str):
    return next((s for s in strips() if s.get("bmd_job_id") == job_id and "bmd_model" in s), None)


# ---------------------------------------------------------------------------------- the tour


def open_director_tab():
    """Turn the big 3D View into a Sequencer with its preview, maximize it (Ctrl Space), open the
    sidebar and pick the Director tab."""
    window = bpy.context.window_manager.windows[0]
    area = max(window.screen.areas, key=lambda a: a.width * a.height)
    area.type = "SEQUENCE_EDITOR"
    yield 0.3
    area.spaces.active.view_type = REQUEST.get("view_type", "SEQUENCER_PREVIEW")
    if REQUEST.get("maximize", True):
        with bpy.context.temp_override(window=window, screen=window.screen, area=area):
            bpy.ops.screen.screen_full_area()
        yield 0.3
        area = next(a for a in window.screen.areas if a.type == "SEQUENCE_EDITOR")
    area.spaces.active.show_region_ui = True
    yield 0.5  # the sidebar region exists once the area has drawn with it
    sidebar = next(r for r in area.regions if r.type == "UI")
    sidebar.active_panel_category = "Director"
    yield 0.3
    step("director tab", **ui_facts())


def tour():
    yield from ask("key", key="Escape")  # the splash screen, as a user closes it
    prefs_entry = bpy.context.preferences.addons.get(ADDON)
    report["addon_enabled"] = prefs_entry is not None
    if prefs_entry is None:
        raise RuntimeError(f"{ADDON} is not enabled after install; enabled: "
                           f"{sorted(a.module for a in bpy.context.preferences.addons)}")
    report["addon_file"] = importlib.import_module(ADDON).__file__
    prefs = prefs_entry.preferences
    prefs.server_url = REQUEST["server_url"]
    prefs.poll_interval = 0.1
    if hasattr(prefs, "server_wait"):  # unsent jobs wait this long for a server that is down (default minutes)
        prefs.server_wait = 5.0
    step("preferences", server_url=prefs.server_url)

    with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
        bpy.ops.wm.save_as_mainfile(filepath=REQUEST["blend"])  # clips go to //movie_director/ beside it
    step("saved project", filepath=bpy.data.filepath)

    yield from open_director_tab()
    yield from screenshot("00-before-connect")

    bpy.ops.movie_director.connect()
    yield Wait(lambda: manager().server.connected or bool(manager().server.error), 30, "Connect to answer")
    if not manager().server.connected:
        raise RuntimeError(f"Connect failed: {manager().server.error}")
    step("connected", **server_facts())

    scene = bpy.context.scene
    props = scene.movie_director
    props.model = "t2v_1.3B"
    props.prompt = PROMPTS["first"]
    props.use_seconds = False
    props.frames = 17
    props.resolution = "448x256"
    props.show_advanced = True
    props.steps = int(REQUEST.get("steps", 12))
    scene.frame_start, scene.frame_end = 1, 100  # the movie's length: the timeline shows it
    scene.frame_current = 1
    with bpy.context.temp_override(**sequencer_context()):
        bpy.ops.sequencer.view_all()
    step("shot set", model=props.model, frames=props.frames, resolution=props.resolution, steps=props.steps)
    yield from screenshot("01-idle")

    # -- Generate two shots back to back (the second waits in the queue), watch the first run, find
    #    both clips on the timeline
    first = generate()
    step("generate pressed", job=job_facts(first))
    props.show_advanced = False  # fold it again: room for the job list
    props.prompt = PROMPTS["second"]
    scene.frame_current = first.slot.frame_start + first.slot.frames  # right after the first shot
    second = generate()
    step("second shot queued", job=job_facts(second))
    seen: list[dict] = []

    def watch(job_id: str):
        record = manager().get(job_id)
        seen.append({"state": record.state.value, "progress": round(record.progress, 3)})
        return record

    def running() -> bool:
        record = watch(first.id)
        return (record.state.value == "running" and 0 < record.progress < 0.8) or record.state.is_terminal
    yield Wait(running, 60, "the first job to run")
    if manager().get(first.id).state.value == "running":
        yield from screenshot("02-running", job=job_facts(manager().get(first.id)),
                              queued=job_facts(manager().get(second.id)), server=server_facts())

    def landed() -> bool:
        watch(first.id)
        return all(manager().get(j).state.is_terminal and addon_ui("tick").is_placed(j) for j in (first.id, second.id))
    yield Wait(landed, 120, "both clips to land on the timeline")
    report["observed"]["first_job_states"] = _compress(seen)
    step("both shots done", jobs=[job_facts(manager().get(j)) for j in (first.id, second.id)])
    clips = [strip_of(first.id), strip_of(second.id)]
    if None in clips:
        raise RuntimeError(f"a clip is missing on the timeline: {[job_facts(manager().get(j)) for j in (first.id, second.id)]}")
    for s in strips():
        s.select = False
    clips[1].select = True
    scene.sequence_editor.active_strip = clips[1]  # the Generated Strip panel shows the selected clip
    scene.frame_current = clips[1].frame_final_start + clips[1].frame_final_duration // 2
    with bpy.context.temp_override(**sequencer_context()):
        bpy.ops.sequencer.view_all()
    yield from screenshot("03-clips", strips=[strip_facts(c) for c in clips])

    # -- a third shot, cancelled while it runs
    props.prompt = PROMPTS["cancelled"]
    scene.frame_current = clips[1].frame_final_end + 10
    cancelled = generate()
    step("third shot queued", job=job_facts(cancelled))
    yield Wait(lambda: manager().get(cancelled.id).state.value == "running"
               or manager().get(cancelled.id).state.is_terminal, 30, "the third job to run")
    bpy.ops.movie_director.cancel_job(job_id=cancelled.id)
    step("cancel pressed", job=job_facts(manager().get(cancelled.id)))
    yield Wait(lambda: manager().get(cancelled.id).state.is_terminal and addon_ui("tick").is_placed(cancelled.id),
               30, "the third job to end after Cancel")
    step("cancelled job ended", job=job_facts(manager().get(cancelled.id)))
    yield from screenshot("04-cancelled", job=job_facts(manager().get(cancelled.id)))

    # -- the server goes away
    yield from ask("stop_server", timeout=30)
    step("server stopped by the host")
    bpy.ops.movie_director.connect()
    yield Wait(lambda: bool(manager().server.error), 30, "Connect to notice the server is gone")
    step("connect while down", **server_facts())
    props.prompt = PROMPTS["failed"]
    scene.frame_current = 80
    failed = generate()
    yield Wait(lambda: manager().get(failed.id).state.is_terminal, 60, "the job sent to a stopped server to fail")
    step("job while down ended", job=job_facts(manager().get(failed.id)))
    yield from screenshot("05-server-down", job=job_facts(manager().get(failed.id)), server=server_facts())

    # -- save: the strips and their bmd_* properties go into the .blend
    with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
        bpy.ops.wm.save_mainfile()
    report["ids"] = {"first": first.id, "second": second.id, "cancelled": cancelled.id, "failed": failed.id}
    step("saved", filepath=bpy.data.filepath, dirty=bpy.data.is_dirty)


def generate():
    """Press Generate (in the Sequencer, as the button does); returns the job it queued."""
    before = {r.id for r in manager().jobs()}
    with bpy.context.temp_override(**sequencer_context()):
        result = bpy.ops.movie_director.generate()
    new = [r for r in manager().jobs() if r.id not in before]
    if result != {"FINISHED"} or len(new) != 1:
        raise RuntimeError(f"Generate returned {sorted(result)} and queued {len(new)} jobs")
    return new[0]


def _compress(seen: list[dict]) -> list[dict]:
    """The states and progress values the job went through, without repeats."""
    out: list[dict] = []
    for item in seen:
        if not out or out[-1] != item:
            out.append(item)
    return out


def start() -> None:
    global _scenario
    _scenario = tour()
    write_report()
    bpy.app.timers.register(pump, first_interval=float(REQUEST.get("first_step_after", 1.0)), persistent=True)


start()
