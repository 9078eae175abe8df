"""A placeholder is its job's handle on the timeline.

Called from the tick: a placeholder the user deleted cancels its job (the job manager tells the
server); one trimmed or stretched before its job started re-asks the server for the frames the new
length needs (the old job is cancelled, a new one takes the same placeholder place); after the job
started, the clip is placed in the edited slot and retimed to it (sequencer.remove_placeholder reads
the slot back). Moving a placeholder only moves where the clip lands. A new length counts once it
has held still for a moment (not while the user is still dragging the handle), and the placeholder
strip itself is kept: only the job it stands for changes.

The tick calls `watch` every poll interval; looking through every strip of the timeline each time
costs more than the rest of an idle tick. So it first asks Blender only for each running job's own
placeholder by name (a hashed lookup): while each is still there, with the length it had, nothing
the watch cares about changed and it returns. (Blender's depsgraph and undo handlers are no such
signal: the bpy module never calls them, and a script's edits do not always reach them.)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import bpy
from bpy.app.handlers import persistent

from ..common import shot_timing
from ..common.enums import JobState
from ..common.errors import DirectorError
from . import compat, queueing, shots, timing

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..jobs.manager import JobManager

NOT_STARTED = (JobState.SUBMITTING, JobState.QUEUED)
SETTLE_SECONDS = 0.5  # a trimmed length counts once it stayed the same this long
_seen: dict[str, str] = {}  # job id -> scene of a placeholder seen on the timeline while its job runs
_reasked: set[str] = set()  # old job ids whose placeholder was given to a new job
_lengths: dict[str, tuple[int, float]] = {}  # job id -> (placeholder length, since when)
# job id -> (scene, strip name, length) at the last full look; no name: it had no placeholder (another
# project's job, one queued without one), and a job never gets one later (a .blend opened starts afresh)
_as_seen: dict[str, tuple[str, str, int]] = {}
# An Undo or Redo since the last look: a placeholder it took away was not deleted by the user. Ctrl+Z
# is a reflex; minutes of GPU work are not thrown away for it: the job goes on, its clip lands in its
# slot (Redo brings the placeholder back); the Jobs panel's Cancel still stops it.
_undo: list[bool] = [False]


@persistent
def undo_happened(*_args) -> None:
    _undo[0] = True


def watch(manager: JobManager) -> None:
    running = [r for r in manager.jobs() if not r.state.is_terminal]
    _reasked.intersection_update(r.id for r in running)
    active = [r for r in running if r.id not in _reasked]
    if not active:
        _seen.clear()
        _as_seen.clear()
        _undo[0] = False
        return
    if not _lengths and _unchanged(active):
        _undo[0] = False
        return
    on_timeline = _placeholders({r.slot.scene for r in active})
    _as_seen.clear()
    for record in active:
        strip = on_timeline.get(record.id)
        _as_seen[record.id] = ((record.slot.scene, strip.name, int(strip.frame_final_duration)) if strip is not None
                               else (record.slot.scene, "", 0))
    for record in active:
        scene = bpy.data.scenes.get(record.slot.scene)
        strip = on_timeline.get(record.id)
        if strip is None:
            if record.id in _seen and scene is not None:
                del _seen[record.id]
                if _undo[0]:
                    print(f"Movie Director: Undo took away the placeholder of '{record.label}'; the job goes on "
                          f"and its clip will land at frame {record.slot.frame_start} (cancel it in the Jobs panel)")
                else:  # the user deleted it: the job goes too
                    manager.cancel(record.id)
            continue
        _seen[record.id] = record.slot.scene
        length = int(strip.frame_final_duration)
        if length == record.slot.frames or record.state not in NOT_STARTED:
            _lengths.pop(record.id, None)
            continue
        seen_length, since = _lengths.setdefault(record.id, (length, time.monotonic()))
        if seen_length != length:
            _lengths[record.id] = (length, time.monotonic())
        elif time.monotonic() - since >= SETTLE_SECONDS:
            _lengths.pop(record.id, None)
            _reask(manager, scene, record, strip)
    _undo[0] = False


def _unchanged(active: list) -> bool:
    """Every running job's placeholder is where the last full look found it, with the same length."""
    if len(active) != len(_as_seen):
        return False
    strips_of: dict[str, Any] = {}  # scene name -> its strips, looked up once per call (RNA calls cost)
    for record in active:
        seen = _as_seen.get(record.id)
        if seen is None:
            return False  # a new job
        if not seen[1]:
            continue
        strips = strips_of.get(seen[0])
        if strips is None:
            scene = bpy.data.scenes.get(seen[0])
            editor = scene.sequence_editor if scene is not None else None
            if editor is None:
                return False
            strips = strips_of[seen[0]] = compat.all_strips(editor)
        strip = strips.get(seen[1])
        if (strip is None or int(strip.frame_final_duration) != seen[2] or strip.get("bmd_job_id") != record.id
                or not strip.get("bmd_placeholder")):
            return False
    return True


def forget() -> None:
    _as_seen.clear()
    _seen.clear()
    _reasked.clear()
    _lengths.clear()


def _placeholders(scene_names: set[str]) -> dict:
    found = {}
    for name in scene_names:
        scene = bpy.data.scenes.get(name)
        editor = scene.sequence_editor if scene is not None else None
        if editor is None:
            continue
        for strip in compat.all_strips(editor):
            if strip.get("bmd_placeholder"):
                found[str(strip.get("bmd_job_id", ""))] = strip
    return found


def _reask(manager: JobManager, scene, record, strip) -> None:
    """The placeholder's length changed before the job started: ask for the frames the new length needs."""
    frames = int(strip.frame_final_duration)
    model = queueing.known_models().get(record.settings.model_type)
    if model is None or (record.settings.video_length or 1) <= 1:
        return
    timed = shot_timing.for_slot(model, frames, timing.scene_fps(scene))
    if not timed.fits or timed.model_frames == record.settings.video_length:
        return  # the same frames (or more than it can make): the clip is retimed into the new length
    shot = strip.get("bmd_shot")
    settings = record.settings.model_copy(update={"video_length": timed.model_frames}).model_dump(mode="json")
    try:
        new = queueing.queue_generation(scene, settings, channel=strip.channel, frame_start=int(strip.frame_final_start),
                                        slot_frames=frames, label=record.label, simulation=record.simulation,
                                        reuse_placeholder=strip)
    except DirectorError as error:  # the old job goes on; its clip is retimed into the new length
        print(f"Movie Director: could not ask again for the new length: {error}")
        return
    _reasked.add(record.id)
    _seen.pop(record.id, None)
    manager.cancel(record.id)
    if shot:
        shots.relink(scene, str(shot), new.id)
