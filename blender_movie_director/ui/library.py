"""The Library panel: every clip, image and sound made for this project, searchable, with thumbnails.

Kept beside the project's journal (common/library.py) so it outlives Clear Finished and restarts of
Blender. Each finished job is remembered as it arrives (the tick calls `remember`), and the project's
jobs are taken in again whenever the library is refreshed (a .blend opened, saved, or Refresh).

Thumbnails are Blender's own deferred previews (the File Browser's): `load()` only notes the file;
Blender's preview job reads the movie or image on a worker thread when a thumbnail is first shown,
and keeps it in the system's thumbnail cache. The main thread never decodes a clip here.

From the list a clip can be placed again at the playhead, its settings loaded into the Shot panel
(its own words, preset, LoRAs, cast, seed), or its folder revealed in the system's file browser.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bpy
from bpy.app.handlers import persistent
from bpy.props import CollectionProperty, EnumProperty, IntProperty, StringProperty

from ..common.enums import JobState, ModelGroup, OutputKind
from ..common.errors import PlacementError
from . import addon, compat, projects, sequencer, timing

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..common.library import ClipLibrary, LibraryEntry
    from ..jobs.records import JobRecord

_entries: dict[str, LibraryEntry] = {}
_previews: list = []  # one bpy.utils.previews collection, made on first use
_saving: dict[str, Any] = {}  # what save_pre saw, for save_post
KINDS = [("ALL", "All", "Every clip, image and sound"), ("VIDEO", "Clips", "Movies only"),
         ("IMAGE", "Images", "Stills only"), ("SOUND", "Sounds", "Sounds only")]
_ICONS = {"video": "FILE_MOVIE", "image": "IMAGE_DATA", "sound": "SOUND"}


class MOVIE_DIRECTOR_library_item(bpy.types.PropertyGroup):
    """One row of the library list (rebuilt from the library file; not saved with the .blend)."""

    key: StringProperty()
    kind: StringProperty()
    detail: StringProperty()
    haystack: StringProperty()


def library_path() -> Path:
    from ..common.library import library_for_journal

    return library_for_journal(projects.journal_path())


def library() -> ClipLibrary:
    from ..common.library import ClipLibrary

    return ClipLibrary(library_path())


# -- keeping it


def remember(record: JobRecord) -> None:
    """A job of this project finished: its clip joins the library (once). The file is rewritten by the
    job manager's writer thread (an fsync'd rewrite is too slow for the tick), the list shown at once."""
    from ..common.library import ClipLibrary, LibraryEntry, library_for_journal

    if record.state is not JobState.SUCCEEDED or record.result is None or record.project is None:
        return
    book, key, result = ClipLibrary(library_for_journal(record.project)), record.id, record.result

    def write() -> None:
        try:
            book.add(key, result)
        except OSError as exc:
            print(f"Movie Director: could not add {result.video_path.name} to the library: {exc}")

    manager = addon.manager_if_running()
    if manager is not None:
        manager.writes.submit(write)
    else:
        write()
    if key not in _entries and projects.is_current(record):
        _show(LibraryEntry(key, result, time.time()))


def _show(new: LibraryEntry) -> None:
    """One more entry in the list, where a refresh would put it (newest first), without reading the file."""
    later = sum(1 for e in _entries.values() if _newest_first(e) > _newest_first(new))
    _entries[new.key] = new
    _load_previews([new])
    wm = bpy.context.window_manager
    if wm is not None and hasattr(wm, "movie_director_library"):
        items = wm.movie_director_library
        _fill_row(items.add(), new)
        items.move(len(items) - 1, min(later, len(items) - 1))


def _newest_first(entry: LibraryEntry) -> float:
    return entry.result.finished_at or entry.added_at


def refresh() -> list[LibraryEntry]:
    """Read the library again (taking in the project's finished jobs the manager knows) and rebuild the list."""
    manager = addon.manager_if_running()
    entries: list[LibraryEntry] = []
    if manager is not None or library_path().exists():  # else a new project (Blender's start-up file): none,
        book = library()                                 # and nothing imported for it
        if manager is not None:
            finished = [(r.id, r.result) for r in manager.jobs(project=projects.journal_path())
                        if r.state is JobState.SUCCEEDED and r.result is not None]
            try:
                book.add_all(finished)
            except OSError as exc:
                print(f"Movie Director: could not update the library: {exc}")
        entries = book.entries()
    _entries.clear()
    _entries.update({e.key: e for e in entries})
    _load_previews(entries)
    wm = bpy.context.window_manager
    if wm is not None and hasattr(wm, "movie_director_library"):
        items = wm.movie_director_library
        items.clear()
        for entry in entries:
            _fill_row(items.add(), entry)
        wm.movie_director_library_index = min(wm.movie_director_library_index, max(0, len(items) - 1))
    return entries


def _fill_row(item, entry: LibraryEntry) -> None:
    item.name = entry.prompt[:200] or entry.clip.name
    item.key, item.kind, item.detail = entry.key, entry.kind, entry.describe()[:250]
    item.haystack = " ".join([entry.prompt, entry.result.settings.prompt, entry.result.settings.model_type,
                              entry.preset, *entry.cast, entry.finish, entry.source, entry.clip.name,
                              entry.date, entry.kind]).lower()[:2000]


def entries() -> list[LibraryEntry]:
    return list(_entries.values())


def entry(key: str) -> LibraryEntry | None:
    return _entries.get(key)


def selected() -> LibraryEntry | None:
    wm = bpy.context.window_manager
    items = getattr(wm, "movie_director_library", None)
    if not items:
        return None
    index = wm.movie_director_library_index
    return _entries.get(items[index].key) if 0 <= index < len(items) else None


# -- thumbnails (Blender's deferred previews: decoded by its preview job, off the main thread)


def previews():
    if not _previews:
        import bpy.utils.previews

        _previews.append(bpy.utils.previews.new())
    return _previews[0]


def _load_previews(found: list[LibraryEntry]) -> None:
    collection = previews()
    for item in found:
        if item.key in collection or item.kind == "sound" or not item.exists:
            continue
        collection.load(item.key, str(item.clip), "IMAGE" if item.kind == "image" else "MOVIE")


def icon_of(key: str) -> int:
    collection = previews()
    return collection[key].icon_id if key in collection else 0


def forget_previews() -> None:
    if _previews:
        import bpy.utils.previews

        bpy.utils.previews.remove(_previews.pop())
    _entries.clear()


# -- using a clip again


def scene_frames(scene: bpy.types.Scene, found: LibraryEntry) -> int:
    if found.kind == "image":
        return sequencer.STILL_FRAMES
    return max(1, round(found.seconds * timing.scene_fps(scene))) if found.seconds else max(1, found.result.frames)


def place(scene: bpy.types.Scene, found: LibraryEntry, frame: int, channel: int) -> list[str]:
    """The clip again at `frame` (the first free channel from `channel` up), as long as it plays."""
    from ..jobs.records import JobRecord, Slot

    if not found.exists:
        raise PlacementError(f"{found.clip.name} is no longer at {found.clip.parent}")
    frames = scene_frames(scene, found)
    record = JobRecord(id=f"lib{secrets.token_hex(5)}", settings=found.result.settings,
                       slot=Slot(scene=scene.name, channel=max(1, channel), frame_start=frame, frames=frames),
                       output_dir=found.clip.parent, label=found.prompt[:120], project=projects.journal_path(),
                       state=JobState.SUCCEEDED, result=found.result)
    names = sequencer.place_result(record)
    projects.link_relative(scene.name, names)
    strips = compat.all_strips(scene.sequence_editor)
    for name in names:
        if name in strips:
            strips[name]["bmd_library_key"] = found.key
    return names


def load_into_shot(scene: bpy.types.Scene, found: LibraryEntry) -> None:
    """The clip's settings into the Shot panel: model, the user's own words, seed, length, size, steps, guidance,
    and into the Look and Cast panels: its preset, LoRAs and cast."""
    from . import properties

    settings = found.result.settings
    props = scene.movie_director
    model = properties.model_info(settings.model_type)
    if model is not None:
        group = ModelGroup(props.model_group)
        if group not in model.groups:
            props.model_group = model.group.value
    props.model = settings.model_type
    props.prompt = found.prompt
    preset = settings.preset
    props.negative_prompt = preset.negative_prompt if preset is not None else settings.negative_prompt
    props.random_seed, props.seed = False, max(0, found.result.seed)
    if model is not None and model.output is OutputKind.AUDIO:
        props.use_seconds, props.seconds = True, max(0.05, float(settings.duration_seconds or model.default_seconds or 1))
    else:
        props.use_seconds, props.frames = False, max(1, settings.video_length or found.result.frames or 1)
        if settings.resolution and model is not None and settings.resolution in model.resolutions:
            props.resolution = settings.resolution
    props.steps = settings.num_inference_steps or 0
    props.use_guidance = settings.guidance_scale is not None
    if settings.guidance_scale is not None:
        props.guidance = settings.guidance_scale
    look = scene.movie_director_look
    look.preset = preset.name if preset is not None else ""
    look.loras.clear()
    look.lora_model = settings.model_type
    weights = settings.loras_multipliers or (1.0,) * len(settings.activated_loras)
    cast_loras = {m.lora for m in look.cast if m.name in settings.cast}
    for name, weight in zip(settings.activated_loras, weights, strict=False):
        if name in cast_loras:
            continue  # it comes with the cast member
        pick = look.loras.add()
        pick.name, pick.multiplier = name, weight
    for member in look.cast:
        member.in_shot = member.name in settings.cast


def _open_folder(folder: Path) -> None:
    bpy.ops.wm.path_open(filepath=str(folder))


# -- operators


class _LibraryOperator:
    bl_options = {"REGISTER", "INTERNAL"}

    key: StringProperty(name="Clip", description="The library entry (empty: the selected one)")

    def found(self) -> LibraryEntry | None:
        return entry(self.key) if self.key else selected()


class MOVIE_DIRECTOR_OT_library_place(_LibraryOperator, bpy.types.Operator):
    """Place this clip again at the playhead (on the first free channel from the Shot panel's)"""

    bl_idname = "movie_director.library_place"
    bl_label = "Place at Playhead"

    def execute(self, context) -> set[str]:
        found = self.found()
        if found is None:
            self.report({"ERROR"}, "Pick a clip in the library first")
            return {"CANCELLED"}
        scene = context.scene
        try:
            names = place(scene, found, scene.frame_current, scene.movie_director.channel)
        except (PlacementError, RuntimeError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Placed {found.clip.name} at frame {scene.frame_current}")
        editor = scene.sequence_editor
        if names and editor is not None and names[0] in compat.all_strips(editor):
            editor.active_strip = compat.all_strips(editor)[names[0]]
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_library_load(_LibraryOperator, bpy.types.Operator):
    """Load this clip's settings into the Shot panel (prompt, model, seed, look, LoRAs, cast)"""

    bl_idname = "movie_director.library_load"
    bl_label = "Load Settings"

    def execute(self, context) -> set[str]:
        found = self.found()
        if found is None:
            self.report({"ERROR"}, "Pick a clip in the library first")
            return {"CANCELLED"}
        load_into_shot(context.scene, found)
        self.report({"INFO"}, f"Loaded the settings of {found.clip.name} (seed {found.result.seed})")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_library_reveal(_LibraryOperator, bpy.types.Operator):
    """Show this clip's folder in the system's file browser"""

    bl_idname = "movie_director.library_reveal"
    bl_label = "Reveal in File Browser"

    def execute(self, context) -> set[str]:
        found = self.found()
        if found is None:
            self.report({"ERROR"}, "Pick a clip in the library first")
            return {"CANCELLED"}
        folder = found.clip.parent
        if not folder.is_dir():
            self.report({"ERROR"}, f"{folder} is gone")
            return {"CANCELLED"}
        _open_folder(folder)
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_library_refresh(bpy.types.Operator):
    """Read the project's library again"""

    bl_idname = "movie_director.library_refresh"
    bl_label = "Refresh Library"
    bl_options = {"INTERNAL"}

    def execute(self, context) -> set[str]:
        found = refresh()
        self.report({"INFO"}, f"{len(found)} clip(s) in the library")
        return {"FINISHED"}


class MOVIE_DIRECTOR_UL_library(bpy.types.UIList):
    """Thumbnail, prompt, and model · seed · length · date · look · cast; the filter searches all of it."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        icon_value = icon_of(item.key)
        col = layout.column(align=True)
        row = col.row(align=True)
        if icon_value:
            row.label(text=item.name[:70], icon_value=icon_value)
        else:
            row.label(text=item.name[:70], icon=_ICONS.get(item.kind, "FILE"))
        col.label(text=item.detail[:110])

    def filter_items(self, context, data, propname):
        items = getattr(data, propname)
        wm = context.window_manager
        words = (self.filter_name + " " + getattr(wm, "movie_director_library_search", "")).lower().split()
        kind = getattr(wm, "movie_director_library_kind", "ALL")
        shown = self.bitflag_filter_item
        flags = [shown if all(w in it.haystack for w in words) and (kind == "ALL" or it.kind == kind.lower()) else 0
                 for it in items]
        return flags, []


# -- handlers


@persistent
def _on_load(*_args) -> None:
    """Another .blend: its own library, its own thumbnails (those of the file before are let go)."""
    _entries.clear()
    if _previews:
        _previews[0].clear()
    refresh()


@persistent
def _before_save(*_args) -> None:
    manager = addon.manager_if_running()
    if manager is not None:
        manager.writes.wait()  # clips remembered so far are in the file that may be carried over
    _saving["old"] = library_path()
    _saving["unsaved"] = not bpy.data.filepath


@persistent
def _after_save(*_args) -> None:
    from ..common.library import ClipLibrary

    old, unsaved = _saving.pop("old", None), _saving.pop("unsaved", False)
    new = library_path()
    if old is not None and old != new and old.is_file():  # saved for the first time, or as another file
        try:
            ClipLibrary(new).merge_from(old, folder=addon.output_dir())
            if unsaved:  # the unsaved work moved into the project: the next new file starts with none of it
                old.unlink()
        except OSError as exc:
            print(f"Movie Director: could not carry the library over to {new.name}: {exc}")
    refresh()


_HANDLERS = {"load_post": _on_load, "save_pre": _before_save, "save_post": _after_save}

classes = (MOVIE_DIRECTOR_library_item, MOVIE_DIRECTOR_OT_library_place, MOVIE_DIRECTOR_OT_library_load,
           MOVIE_DIRECTOR_OT_library_reveal, MOVIE_DIRECTOR_OT_library_refresh, MOVIE_DIRECTOR_UL_library)


def register() -> None:
    wm = bpy.types.WindowManager
    wm.movie_director_library = CollectionProperty(type=MOVIE_DIRECTOR_library_item)
    wm.movie_director_library_index = IntProperty(name="Clip")
    wm.movie_director_library_kind = EnumProperty(name="Show", items=KINDS, default="ALL")
    wm.movie_director_library_search = StringProperty(name="Search", options={"TEXTEDIT_UPDATE"},
                                                      description="Words of the prompt, model, look, cast, date …")
    for name, handler in _HANDLERS.items():
        handlers = getattr(bpy.app.handlers, name)
        if handler not in handlers:
            handlers.append(handler)


def unregister() -> None:
    for name, handler in _HANDLERS.items():
        handlers = getattr(bpy.app.handlers, name)
        if handler in handlers:
            handlers.remove(handler)
    forget_previews()
    wm = bpy.types.WindowManager
    for name in ("movie_director_library_search", "movie_director_library_kind", "movie_director_library_index",
                 "movie_director_library"):
        if hasattr(wm, name):
            delattr(wm, name)
