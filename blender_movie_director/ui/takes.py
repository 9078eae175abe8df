"""Takes: variations of a clip stacked on the channels above it, and keeping one of them.

Every take of a clip carries the same `bmd_take_group` (the first clip's job id) and its number in
`bmd_take` (0 for the first clip). Keep removes the other takes from the timeline and moves their
files (clip and sidecar) into a `takes/` folder beside them: nothing is deleted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import bpy

from ..common import strip_names
from . import addon, compat, naming, sequencer, timing


def group_of(strip) -> str:
    return str(strip.get("bmd_take_group") or strip.get("bmd_job_id") or "")


def members(scene: bpy.types.Scene, group: str) -> list:
    """The clips of a take group on the timeline (not their sound or speed strips)."""
    editor = scene.sequence_editor
    if editor is None or not group:
        return []
    return [s for s in compat.all_strips(editor)
            if "bmd_model" in s and (s.get("bmd_take_group") == group or (s.get("bmd_job_id") == group))]


def next_take(scene: bpy.types.Scene, group: str) -> int:
    """The next take number: after every clip and placeholder of the group."""
    editor = scene.sequence_editor
    numbers = [int(s.get("bmd_take", 0) or 0) for s in compat.all_strips(editor)
               if s.get("bmd_take_group") == group] if editor else []
    return max(numbers, default=0) + 1


def channels_of(scene: bpy.types.Scene, strip) -> int:
    """Channels a clip takes: its own, and on 5.0 its Speed effect's."""
    return 2 if timing.speed_strip_of(scene, strip) is not None else 1


def companions(scene: bpy.types.Scene, strip) -> list:
    """The clip's sound strip(s): same job, not the clip itself."""
    editor = scene.sequence_editor
    job = strip.get("bmd_job_id")
    return [s for s in compat.all_strips(editor) if s != strip and s.type == "SOUND" and s.get("bmd_job_id") == job]


def keep(scene: bpy.types.Scene, kept) -> list[Path]:
    """Keep one take: the others leave the timeline (their jobs still running are cancelled) and their
    files go to takes/ beside them. Returns where the files went."""
    group = group_of(kept)
    editor = scene.sequence_editor
    others = [s for s in members(scene, group) if s != kept]
    lowest = min([kept.channel, *(s.channel for s in others)])
    manager = addon.manager_if_running()
    for placeholder in [s for s in compat.all_strips(editor) if s.get("bmd_placeholder")
                        and s.get("bmd_take_group") == group]:
        if manager is not None:
            manager.cancel(str(placeholder.get("bmd_job_id", "")))
        compat.strips(editor).remove(placeholder)
    files: list[Path] = []
    for other in others:
        files.append(Path(bpy.path.abspath(str(other.get("bmd_output") or other.filepath))))
        for sound in companions(scene, other):
            compat.strips(editor).remove(sound)
        compat.strips(editor).remove(other)  # its Speed effect (5.0) goes with it
    still_used = {Path(bpy.path.abspath(s.filepath)).resolve() for s in compat.all_strips(editor)
                  if s.type in ("MOVIE", "SOUND")}
    moved = [_to_takes(path) for path in files if path.is_file() and path.resolve() not in still_used]
    _settle(scene, kept, lowest)
    prompt = str(kept.get("bmd_prompt", ""))
    if prompt:  # no longer one of several: "a lighthouse at dusk", not "… · v3"
        naming.rename(kept, scene, strip_names.clip_name(prompt))
    kept["bmd_take"] = 0
    return moved


def _to_takes(path: Path) -> Path:
    folder = path.parent / "takes"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    sidecar = path.with_suffix(".json")
    shutil.move(str(path), str(target))
    if sidecar.is_file():
        shutil.move(str(sidecar), str(folder / sidecar.name))
    return target


def _settle(scene: bpy.types.Scene, kept, lowest: int) -> None:
    """Move the kept take down to where the first take was, its Speed effect above it."""
    if kept.channel <= lowest:
        return
    speed = timing.speed_strip_of(scene, kept)
    start, frames = int(kept.frame_final_start), int(kept.frame_final_duration)
    ignore = {kept.name} | ({speed.name} if speed is not None else set())
    count = 2 if speed is not None else 1
    if not all(sequencer.is_free(scene, lowest + i, start, frames, ignore) for i in range(count)):
        return
    kept.channel = lowest
    if speed is not None:
        speed.channel = lowest + 1
