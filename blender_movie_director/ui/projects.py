"""One project per .blend: its journal, its clips folder, and what happens when it is opened or saved.

- Each saved .blend has its own journal (`//movie_director/<name>.journal.json`); an unsaved session
  has one in the extension's user folder. Opening a .blend restores its jobs only: two .blend files
  in one folder never get each other's clips.
- Clips in a saved project are linked relative to it (`//movie_director/…`): moving the project
  folder keeps every strip. Clips made before the first save move into the project's folder when it
  is saved (with their sidecars) and their strips follow, before the file is written.
- A clip is placed once: a strip already carrying its job id is never added again, and once the
  .blend is saved with it, reopening it never places it again.
- An unsaved session holds a lock on its journal while Blender runs. A new unsaved file (Blender's
  start, File > New) takes over the journals of unsaved sessions whose Blender is gone (crashed): their
  jobs become this file's (jobs/orphan_sessions.py). A .blend opened from a folder with the shared
  journal of older versions takes that over (jobs/legacy_journal.py).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING

import bpy
from bpy.app.handlers import persistent

from . import addon, compat, sequencer, timing

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..jobs.records import JobRecord

SESSION = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"  # this Blender session, while unsaved
_journals: dict[str, Path] = {}  # .blend path ("": unsaved) -> its journal
_saving: dict[str, object] = {}  # what save_pre changed, for save_post / save_post_fail
_session_lock: list[IO[bytes]] = []  # held while this Blender runs: its unsaved journal is not an orphan


def journal_path(blend_file: str | None = None) -> Path:
    """The journal of the open .blend (or of `blend_file`), or of this unsaved session."""
    blend_file = bpy.data.filepath if blend_file is None else blend_file
    found = _journals.get(blend_file)  # the tick asks on every job event: worked out once per file
    if found is None:
        from ..jobs import journal

        found = (journal.journal_for_blend(Path(blend_file)) if blend_file else
                 _user_folder("sessions") / f"unsaved-{SESSION}{journal.SUFFIX}")
        _journals[blend_file] = found
        if not blend_file and not _session_lock:
            from ..jobs import session_locks

            held = session_locks.try_hold(found)
            if held is not None:
                _session_lock.append(held)
    return found


def is_current(record: JobRecord) -> bool:
    # the tick asks on every job change: compare the paths' cached text, not Path objects (their
    # equality works out case-folded parts each time)
    return record.project is not None and str(record.project) == str(journal_path())


def restore() -> list[JobRecord]:
    """A .blend was opened (or the add-on enabled with one open): its jobs come back; running ones get
    their placeholder back if the file was saved without it."""
    path = journal_path()
    if bpy.data.filepath:
        from ..jobs import legacy_journal

        legacy_journal.migrate(path)
    else:
        _take_orphaned_sessions(path)
    if addon.manager_if_running() is None and not path.exists():
        return []  # nothing to bring back (Blender's start-up file, a new project): no job manager yet
    records = addon.manager().load_journal(path)
    for record in records:
        if record.state.is_terminal:
            continue
        scene = bpy.data.scenes.get(record.slot.scene)
        if scene is not None and sequencer.find_placeholder(scene, record.id) is None:
            sequencer.add_placeholder(scene, record)
    return records


def _take_orphaned_sessions(path: Path) -> int:
    """The jobs of unsaved sessions whose Blender is gone become this unsaved file's: finished clips
    are placed, unfinished jobs asked about on their server (as after any crash)."""
    from ..jobs import orphan_sessions

    taken = 0
    with orphan_sessions.orphans(path.parent, path) as found:
        for orphan in found:
            manager = addon.manager()
            taken += len(manager.load_journal(orphan))
            manager.move_project(orphan, path)
    if taken:
        print(f"Movie Director: {taken} job(s) of an unsaved session that ended without saving "
              "(Blender closed or crashed) were brought back into this file")
    return taken


def placed_strip(record: JobRecord):
    """The clip strip of this job already on the timeline (None: not placed)."""
    scene = bpy.data.scenes.get(record.slot.scene)
    if scene is None or scene.sequence_editor is None:
        return None
    for strip in compat.all_strips(scene.sequence_editor):
        if strip.get("bmd_job_id") == record.id and not strip.get("bmd_placeholder"):
            return strip
    return None


def link_relative(scene_name: str, names: list[str]) -> None:
    """Placed strips of a saved project link their file as `//…` (the project folder can move)."""
    if not bpy.data.filepath:
        return
    scene = bpy.data.scenes.get(scene_name)
    if scene is None or scene.sequence_editor is None:
        return
    base = Path(bpy.data.filepath).parent
    for name in names:
        strip = compat.all_strips(scene.sequence_editor).get(name)
        path = _file_of(strip) if strip is not None else None
        if path is None or not Path(path).is_relative_to(base):
            continue
        _point(strip, "//" + os.path.relpath(path, base).replace(os.sep, "/"))


# -- saving


@persistent
def before_save(filepath: str = "", *_args) -> None:
    """The .blend is about to be written to `filepath`. Saved for the first time (or as another file):
    its jobs follow it to the new journal; clips made before the first save move into the new
    project's folder and their strips are pointed there, relative to the new file."""
    _saving.clear()
    if not filepath:
        return
    old, new = journal_path(), journal_path(filepath)
    if old == new:
        return
    first_save = not bpy.data.filepath
    target = addon.output_dir_for(filepath)
    manager = addon.manager()
    elsewhere = not first_save and target != addon.output_dir()
    moved = manager.move_project(old, new, target if (first_save or elsewhere) else None)
    # saved into another folder: the clips the old file had saved are copied (the old project keeps its own)
    copied = _copy_saved_clips(addon.output_dir(), target, skip=moved) if elsewhere else {}
    old_base = Path(bpy.data.filepath).parent if bpy.data.filepath else None
    new_base = Path(filepath).parent
    for strip in _all_director_strips():
        path = _file_of(strip)
        if path is None:
            continue
        if path in moved or path in copied:
            path = moved.get(path) or copied[path]
        elif not first_save:
            continue  # a clip of the old project: Blender remaps its relative path itself
        if not Path(path).is_relative_to(new_base):
            _point(strip, str(path))
            continue
        # a path relative to the folder the file is in now, which Blender's save turns into the right
        # one relative to the new file (an unsaved file keeps `//` paths as they are)
        base = old_base or new_base
        _point(strip, "//" + os.path.relpath(path, base).replace(os.sep, "/"))
    _saving.update(old=old, new=new, moved=moved, copied=copied)


@persistent
def after_save(*_args) -> None:
    """Written: every clip placed so far is in the file (never placed again on reopening); strips
    whose path the save did not remap (Remap Relative off) are pointed at their clip again."""
    from ..jobs import journal

    manager = addon.manager_if_running()
    if manager is None:
        return
    manager.mark_saved(journal_path())
    base = Path(bpy.data.filepath).parent
    for strip in _all_director_strips():
        path = _file_of(strip)
        if path is not None and not path.is_file():
            found = base / journal.PROJECT_FOLDER / path.name
            if found.is_file():
                _point(strip, "//" + os.path.relpath(found, base).replace(os.sep, "/"))
    _saving.clear()


@persistent
def save_failed(*_args) -> None:
    """The save failed after save_pre moved the jobs: they go back to the file that is still open."""
    if not _saving:
        return
    manager = addon.manager_if_running()
    moved = _saving.get("moved") or {}
    copied = _saving.get("copied") or {}
    if manager is not None and isinstance(moved, dict) and isinstance(copied, dict):
        back = manager.move_project(Path(str(_saving["new"])), Path(str(_saving["old"])), addon.output_dir())
        undo = {new: back.get(new, new) for new in moved.values()}
        undo.update({copy: original for original, copy in copied.items()})
        for strip in _all_director_strips():
            path = _file_of(strip)
            if path is not None and path in undo:
                _point(strip, str(undo[path]))
    _saving.clear()


def _copy_saved_clips(old_folder: Path, new_folder: Path, skip: dict[Path, Path]) -> dict[Path, Path]:
    """Copy the clips of the open file's strips that live in its project folder into the new project's
    folder (a Save As elsewhere). Returns original → copy; a clip that cannot be copied keeps its link
    to the old project, and the console says so."""
    copied: dict[Path, Path] = {}
    from ..client.clip_store import copy_clip

    for strip in _all_director_strips():
        path = _file_of(strip)
        if path is None or path in skip or path in copied or not path.is_file() or not path.is_relative_to(old_folder):
            continue
        try:
            copied[path] = copy_clip(path, new_folder)
        except OSError as exc:
            print(f"Movie Director: {path.name} stays linked from {old_folder}: could not copy it into "
                  f"{new_folder} ({exc.strerror or exc})")
    return copied


HANDLERS = {"save_pre": before_save, "save_post": after_save, "save_post_fail": save_failed}


def register() -> None:
    for name, handler in HANDLERS.items():
        handlers = getattr(bpy.app.handlers, name, None)
        if handlers is not None and handler not in handlers:
            handlers.append(handler)


def unregister() -> None:
    for name, handler in HANDLERS.items():
        handlers = getattr(bpy.app.handlers, name, [])
        if handler in handlers:
            handlers.remove(handler)


# -- helpers


def _all_director_strips():
    for scene in bpy.data.scenes:
        if scene.sequence_editor is None:
            continue
        for strip in compat.all_strips(scene.sequence_editor):
            if strip.get("bmd_job_id") and not strip.get("bmd_placeholder"):
                yield strip


def _file_of(strip) -> Path | None:
    """The absolute path of a strip's file (movie, sound or image)."""
    if strip.type == "MOVIE":
        raw = strip.filepath
    elif strip.type == "SOUND" and strip.sound is not None:
        raw = strip.sound.filepath
    elif strip.type == "IMAGE" and len(strip.elements):
        raw = os.path.join(strip.directory, strip.elements[0].filename)
    else:
        return None
    if raw.startswith("//") and not bpy.data.filepath:
        return None  # relative to a file not saved yet: nothing to resolve against
    return Path(os.path.normpath(bpy.path.abspath(raw)))


def _point(strip, path: str) -> None:
    """Link a strip to `path` (absolute, or `//…`), and say so in its metadata."""
    if strip.type == "MOVIE":
        timing.repoint(strip, path)  # unchanged: no reload; moved: refitted (a reload undoes the retiming)
    elif strip.type == "SOUND" and strip.sound is not None:
        strip.sound.filepath = path
    elif strip.type == "IMAGE":
        folder, name = os.path.split(path)
        strip.directory = folder + "/"
        strip.elements[0].filename = name
    if "bmd_output" in strip:
        strip["bmd_output"] = path


def _user_folder(name: str) -> Path:
    try:
        return Path(bpy.utils.extension_path_user(addon.ADDON_PACKAGE, path=name, create=True))
    except (ValueError, AttributeError):  # enabled as a legacy add-on, not as an extension
        import tempfile

        folder = Path(tempfile.gettempdir()) / "movie_director" / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder
