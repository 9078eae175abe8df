"""Runs INSIDE the real Blender program (`blender --python tour.py -- request.json`, with a window):
what a user does with the Director tab, one step at a time on bpy.app.timers, so the window draws
and the add-on's own timer runs between steps as it does for a user.

Open the Sequencer's sidebar on the Director tab, Connect, set a shot, Generate, watch it run,
find the clip on the timeline, queue a second shot and cancel it, lose the server and see what the
panel says, save. The host answers requests this script cannot do itself (screenshots of the
display, stopping the server) through files in results/requests/ (devtools/real_blender.py).

Writes results/report.json after every step, and the traceback on any failure; then quits Blender.
Imports nothing from the repository but driver.py (the shared step machine, copied beside it): the code
under test is the installed extension only.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import bpy

sys.path.insert(0, str(Path(__file__).resolve().parent))  # driver.py, copied beside this script
import driver
from driver import REQUEST, Wait, manager, sequencer_context, strip_facts, strip_of, strips

ADDON = driver.ADDON
PROMPTS = {"first": "a lighthouse on a cliff at dusk, waves below", "second": "a gull gliding over grey waves",
           "cancelled": "a storm rolling in over the sea", "failed": "the lighthouse beam sweeping the night",
           **REQUEST.get("prompts", {})}


def snapshot() -> dict:
    return {"server": server_facts(), "jobs": [job_facts(r) for r in sorted(manager().jobs(), key=lambda r: r.created_at)],
            "strips": [strip_facts(s) for s in strips()], "ui": ui_facts(), "frame_current": bpy.context.scene.frame_current,
            "filepath": bpy.data.filepath, "is_dirty": bpy.data.is_dirty}


tour_driver = driver.Driver("report.json", failure_screenshot="99-failed", final=snapshot)
report = tour_driver.report
step = tour_driver.step


def screenshot(name: str, **facts):
    """Photograph the display; the report keeps what the add-on had then."""
    yield from tour_driver.screenshot(name, **facts)
    report["screenshots"][name]["seen"] = snapshot()
    tour_driver.write()


def job_facts(record) -> dict:
    status = record.status
    return {"id": record.id, "label": record.label, "state": record.state.value, "error": record.error,
            "progress": round(record.progress, 3), "phase_label": status.phase_label if status else "",
            "step": status.step if status else None, "total_steps": status.total_steps if status else None,
            "frame_start": record.slot.frame_start, "channel": record.slot.channel,
            "video_length": record.settings.video_length, "placed": record.placed,
            "placement_error": driver.ui("tick").placement_error(record.id)}


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


# ---------------------------------------------------------------------------------- the tour


def open_director_tab():
    yield from driver.open_director_tab(REQUEST.get("view_type", "SEQUENCER_PREVIEW"), REQUEST.get("maximize", True))
    step("director tab", **ui_facts())


def tour():
    yield from tour_driver.close_splash()
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
        return all(manager().get(j).state.is_terminal and driver.ui("tick").is_placed(j) for j in (first.id, second.id))
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
    yield Wait(lambda: manager().get(cancelled.id).state.is_terminal and driver.ui("tick").is_placed(cancelled.id),
               30, "the third job to end after Cancel")
    step("cancelled job ended", job=job_facts(manager().get(cancelled.id)))
    yield from screenshot("04-cancelled", job=job_facts(manager().get(cancelled.id)))

    # -- the server goes away
    yield from tour_driver.ask("stop_server", timeout=30)
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


tour_driver.run(tour(), first_interval=float(REQUEST.get("first_step_after", 1.0)))
