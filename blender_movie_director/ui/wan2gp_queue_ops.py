"""Export jobs as a Wan2GP queue.zip (a render farm runs it with `wgp.py --process`), and place the
outputs it made back at their shots' slots (jobs/wan2gp_queue.py has the format)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import bpy
from bpy.props import BoolProperty, StringProperty

from ..common.errors import InvalidSettingsError
from . import addon, compat, queueing, shots, timing
from .projects import journal_path

if TYPE_CHECKING:
    from ..jobs.records import JobRecord

FARM_SERVER = "wan2gp --process"  # what bmd_server says for a clip a queue file made


def jobs_to_export(only_waiting: bool = True) -> list[JobRecord]:
    """This .blend's jobs: those not finished yet (the queue), or every one."""
    records = sorted(addon.manager().jobs(project=journal_path()), key=lambda r: r.created_at)
    return [r for r in records if not (only_waiting and r.state.is_terminal)]


def export_jobs(path: Path, records: list[JobRecord]) -> Path:
    from ..jobs.wan2gp_queue import QueueShot, export_queue

    return export_queue([QueueShot(r.id, r.settings, r.slot, r.label) for r in records], path)


def shots_to_export(scene: bpy.types.Scene) -> tuple[list, list[str]]:
    """The Shots list's shots that are not done (nor skipped, nor already queued or rendering here) as
    queue shots with their slots, and why each one that cannot be exported is refused."""
    from ..common.errors import DirectorError
    from ..common.settings import parse_settings
    from ..jobs.manager import with_concrete_seed
    from ..jobs.records import Slot
    from ..jobs.wan2gp_queue import QueueShot

    exported, refused = [], []
    for strip in shots.shots_of(scene):
        if not shots.needs_generating(scene, strip):
            continue
        try:
            request = shots.shot_request(scene, strip)
            parsed = parse_settings(request.settings)
            model = queueing.known_models().get(parsed.model_type)
            if model is None:
                raise InvalidSettingsError("model_type", f"unknown model '{parsed.model_type}'")
            settings = with_concrete_seed(parsed.resolved_for(model))
        except DirectorError as error:
            refused.append(str(error))
            continue
        uid = strip.movie_director_shot.uid
        slot = Slot(scene=scene.name, channel=request.channel, frame_start=request.frame_start,
                    frames=request.slot_frames)
        exported.append(QueueShot(uid, settings, slot, request.label,
                                  tags={"bmd_shot": uid, "bmd_model": settings.model_type}))
    return exported, refused


def import_outputs(queue_zip: Path, output_dir: Path) -> list[str]:
    """Place each output found at its shot's slot (once: a clip already placed is not placed again)."""
    from ..jobs.wan2gp_queue import find_outputs
    from .sequencer import MAX_CHANNEL, editor_of, find_placeholder, free_channel

    placed: list[str] = []
    for found in find_outputs(queue_zip, [output_dir]):
        scene = bpy.data.scenes.get(found.slot.scene) if found.slot else None
        scene = scene or bpy.context.scene
        editor = editor_of(scene)
        if any(s.get("bmd_job_id") == found.shot_id and s.get("bmd_server") == FARM_SERVER
               for s in compat.all_strips(editor)):
            continue
        placeholder = find_placeholder(scene, found.shot_id)  # the job's own, if it was still queued here
        if placeholder is not None:
            compat.strips(editor).remove(placeholder)
        slot_start = found.slot.frame_start if found.slot else scene.frame_current
        wanted = found.slot.channel if found.slot else 2
        staging = free_channel(scene, MAX_CHANNEL // 2, slot_start, 10**6)  # out of the way until it is fitted
        strip = compat.strips(editor).new_movie(name=(found.label or found.shot_id)[:60], filepath=str(found.path),
                                                channel=staging, frame_start=slot_start, fit_method="FIT")
        clip_frames = int(strip.frame_duration)
        frames = found.slot.frames if found.slot and found.slot.frames > 0 else clip_frames
        channel = free_channel(scene, wanted, slot_start, frames, ignore={strip.name},
                               count=timing.channels_needed(clip_frames, frames))
        timing.fit_to_slot(scene, strip, frames, channel)  # exactly its slot, at real speed (a Speed strip)
        strip["bmd_job_id"] = found.shot_id
        strip["bmd_server"] = FARM_SERVER
        strip["bmd_output"] = str(found.path)
        for key, value in found.tags.items():
            strip[key] = value
        placed.append(strip.name)
    return placed


class MOVIE_DIRECTOR_OT_export_wan2gp_queue(bpy.types.Operator):
    """Save this .blend's queued jobs as a Wan2GP queue file (queue.zip with their media): a render
    farm or any machine with Wan2GP runs it with `python wgp.py --process queue.zip`"""

    bl_idname = "movie_director.export_wan2gp_queue"
    bl_label = "Export Wan2GP Queue"

    filepath: StringProperty(subtype="FILE_PATH", default="queue.zip")
    only_waiting: BoolProperty(name="Only Unfinished Jobs", default=True)
    hand_over: BoolProperty(name="Hand Over", default=True,
                            description="Cancel the exported jobs here: the farm renders them, not the server too")

    def invoke(self, context, event):  # type: ignore[no-untyped-def]
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        records = jobs_to_export(self.only_waiting)
        if not records:
            self.report({"ERROR"}, "No jobs to export: queue some shots first")
            return {"CANCELLED"}
        try:
            path = export_jobs(Path(bpy.path.abspath(self.filepath)), records)
        except (OSError, ValueError) as exc:
            self.report({"ERROR"}, f"Could not write the queue: {exc}")
            return {"CANCELLED"}
        if self.hand_over:
            manager = addon.manager()
            for record in records:
                if not record.state.is_terminal:
                    manager.cancel(record.id)
        self.report({"INFO"}, f"{len(records)} shots saved to {path}: run `python wgp.py --process {path.name}`")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_import_wan2gp_outputs(bpy.types.Operator):
    """Place the clips Wan2GP made from an exported queue at their shots' slots"""

    bl_idname = "movie_director.import_wan2gp_outputs"
    bl_label = "Import Wan2GP Outputs"

    queue_file: StringProperty(name="Queue File", subtype="FILE_PATH")
    directory: StringProperty(name="Outputs Folder", subtype="DIR_PATH")

    def execute(self, context: bpy.types.Context) -> set[str]:
        queue_zip = Path(bpy.path.abspath(self.queue_file))
        if not queue_zip.is_file() or not self.directory:
            self.report({"ERROR"}, "Pick the exported queue.zip and the folder Wan2GP saved its outputs in")
            return {"CANCELLED"}
        placed = import_outputs(queue_zip, Path(bpy.path.abspath(self.directory)))
        self.report({"INFO"}, f"{len(placed)} clips placed at their shots")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_export_shots_wan2gp_queue(bpy.types.Operator):
    """Save every shot of the Shots list that is not done (nor skipped, nor queued here) as a Wan2GP
    queue file, each with its slot: Import Wan2GP Outputs places each clip at its shot"""

    bl_idname = "movie_director.export_shots_wan2gp_queue"
    bl_label = "Export Shots as Wan2GP Queue"

    filepath: StringProperty(subtype="FILE_PATH", default="shots_queue.zip")

    def invoke(self, context, event):  # type: ignore[no-untyped-def]
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        from ..jobs.wan2gp_queue import export_queue

        exported, refused = shots_to_export(context.scene)
        for line in refused:
            self.report({"WARNING"}, line)
        if not exported:
            self.report({"ERROR"}, "No shot to export: every shot is done, skipped, queued or refused"
                        if not refused else f"No shot exported: {len(refused)} refused (see above)")
            return {"CANCELLED"}
        try:
            path = export_queue(exported, Path(bpy.path.abspath(self.filepath)))
        except (OSError, ValueError) as exc:
            self.report({"ERROR"}, f"Could not write the queue: {exc}")
            return {"CANCELLED"}
        self.report({"WARNING"} if refused else {"INFO"},
                    f"{len(exported)} shots saved to {path}" + (f"; {len(refused)} refused" if refused else "")
                    + f": run `python wgp.py --process {path.name}`, then Import Wan2GP Outputs")
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_export_wan2gp_queue, MOVIE_DIRECTOR_OT_import_wan2gp_outputs,
           MOVIE_DIRECTOR_OT_export_shots_wan2gp_queue)
