"""The one timer: drains the job manager's events and does every RNA write, insert and redraw.

Kept a plain function so that tests (where bpy.app.timers never fire) can call it in a loop.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import bpy
from bpy.app.handlers import persistent

from ..common.enums import JobState, Phase
from ..common.errors import PlacementError
from . import addon, library, placeholders, projects, sequencer

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..jobs.records import JobRecord

_placed: set[str] = set()
_waiting: dict[str, JobRecord] = {}  # succeeded, not yet placed (Blender was busy)
_placement_errors: dict[str, str] = {}
_busy_flags: set[str] = set()
_finishing: set[str] = set()  # jobs whose clip is about to arrive
TICK_SECONDS: list[float] = []  # main-thread cost of each tick, for the benchmark and the note
# Blender's timer cannot be woken from the worker: while a clip is about to arrive the tick runs this
# often, so that it lands within this of its arrival rather than up to a whole poll interval later
FINISHING_TICK = 0.05
_ARRIVING = (Phase.DECODING, Phase.SAVING, Phase.DOWNLOADING, Phase.DONE)


def tick() -> float | None:
    started = time.perf_counter()
    manager = addon.manager_if_running()
    if manager is None:
        return 1.0
    from ..jobs.records import JobChanged, ServerChanged  # loaded with the manager, never at enable

    events = manager.drain()
    changed: dict[str, JobRecord] = {}  # a job's newest snapshot says all its earlier ones did
    for event in events:
        if isinstance(event, JobChanged):
            changed[event.record.id] = event.record
        elif isinstance(event, ServerChanged):
            from . import properties

            properties.refresh_model_items(event.info.models)
    for record in changed.values():
        _on_job(record, manager.poll_interval)
    busy = sequencer_busy()
    if not busy:
        placeholders.watch(manager)  # deleted: cancel its job; trimmed before it started: ask again
    if _waiting and not busy:
        for job_id, record in list(_waiting.items()):
            _place(record)
            del _waiting[job_id]
    if events:
        _redraw()
    TICK_SECONDS.append(time.perf_counter() - started)
    del TICK_SECONDS[:-2000]
    return min(FINISHING_TICK, manager.poll_interval) if _finishing else manager.poll_interval


def _about_to_finish(record: JobRecord, poll_interval: float) -> bool:
    """Its denoising ends within two poll intervals (or it ended): the clip is coming."""
    status = record.status
    if status is None or record.state.is_terminal:
        return False
    if status.phase in _ARRIVING:
        return True
    if status.phase is not Phase.INFERENCE or not status.total_steps:
        return False
    if status.eta_seconds is not None:
        return status.eta_seconds <= 2 * poll_interval
    return status.step >= status.total_steps - 1


def _on_job(record: JobRecord, poll_interval: float) -> None:
    (_finishing.add if _about_to_finish(record, poll_interval) else _finishing.discard)(record.id)
    if record.id in _placed or record.placed or not projects.is_current(record):  # another .blend's job
        return
    if record.state is JobState.SUCCEEDED:
        _waiting[record.id] = record
        library.remember(record)  # every clip of the project stays in its library (ui/library.py)
    elif record.state in (JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED):
        _placed.add(record.id)
        sequencer.remove_placeholder(record)


def _place(record: JobRecord) -> None:
    if not projects.is_current(record):  # another .blend was opened meanwhile: placed when it is reopened
        return
    _placed.add(record.id)
    manager = addon.manager_if_running()
    try:
        if projects.placed_strip(record) is None:  # never twice: the .blend may already hold it
            projects.link_relative(record.slot.scene, sequencer.place_result(record))
        if manager is not None:
            manager.mark_placed(record.id)
    except (PlacementError, RuntimeError, ReferenceError) as error:  # a deleted scene/strip too
        _placement_errors[record.id] = str(error)
        print(f"Movie Director: {error}")


def placement_error(job_id: str) -> str:
    return _placement_errors.get(job_id, "")


def is_placed(job_id: str) -> bool:
    return job_id in _placed and job_id not in _waiting


def sequencer_busy() -> bool:
    """A render or a file save is using the scene data: inserting now can crash Blender."""
    if _busy_flags:
        return True
    is_job_running = getattr(bpy.app, "is_job_running", None)
    return bool(is_job_running and (is_job_running("RENDER") or is_job_running("RENDER_PREVIEW")))


def _redraw() -> None:
    wm = bpy.context.window_manager
    for window in getattr(wm, "windows", []):
        for area in window.screen.areas:
            if area.type == "SEQUENCE_EDITOR":
                area.tag_redraw()


def tick_stats() -> dict[str, float]:
    if not TICK_SECONDS:
        return {}
    ordered = sorted(TICK_SECONDS)
    import statistics  # only when asked: it pulls in fractions and decimal

    return {"ticks": len(ordered), "median_ms": statistics.median(ordered) * 1000, "worst_ms": ordered[-1] * 1000}


def reset() -> None:
    placeholders.forget()
    _placed.clear()
    _waiting.clear()
    _finishing.clear()
    _placement_errors.clear()
    TICK_SECONDS.clear()


# -- busy guards


def _flag(name: str, on: bool):
    @persistent
    def handler(*_args) -> None:
        (_busy_flags.add if on else _busy_flags.discard)(name)

    handler.__name__ = f"bmd_{name}_{'on' if on else 'off'}"
    return handler


@persistent
def _restore_jobs(*_args) -> None:
    """After a .blend is opened: bring back its jobs from its own journal (and only its)."""
    reset()  # what the tick knew belongs to the file that was open before
    projects.restore()


_HANDLERS = {
    "load_post": _restore_jobs,
    "render_init": _flag("render", True), "render_complete": _flag("render", False),
    "render_cancel": _flag("render", False), "save_pre": _flag("save", True), "save_post": _flag("save", False),
    "save_post_fail": _flag("save", False),  # 4.2+; skipped where missing
    "undo_post": placeholders.undo_happened, "redo_post": placeholders.undo_happened,
}


def register() -> None:
    for name, handler in _HANDLERS.items():
        if hasattr(bpy.app.handlers, name):
            getattr(bpy.app.handlers, name).append(handler)
    projects.register()
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=0.5, persistent=True)
    # Blender runs register() under RestrictBlend (no bpy.data): a project that is already open when
    # the add-on is enabled has its jobs restored by a one-shot timer instead.
    if not bpy.app.timers.is_registered(_restore_open_project):
        bpy.app.timers.register(_restore_open_project, first_interval=0.0)


def _restore_open_project() -> None:
    _restore_jobs()  # unsaved too: the jobs of an unsaved session that crashed come back (ui/projects.py)


def unregister() -> None:
    projects.unregister()
    for timer in (tick, _restore_open_project):
        if bpy.app.timers.is_registered(timer):
            bpy.app.timers.unregister(timer)
    for name, handler in _HANDLERS.items():
        handlers = getattr(bpy.app.handlers, name, [])
        if handler in handlers:
            handlers.remove(handler)
    _busy_flags.clear()
