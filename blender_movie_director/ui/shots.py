"""The shot list: a sequence directed from the timeline's text strips.

A shot is a text strip marked as one (`strip.movie_director_shot.is_shot`): its text is the prompt,
its place and length on the timeline are the slot its clip fills, exactly; moving the strips
reorders the shots. Each shot may name its own model (else the Shot panel's) and a start and an end
image, and can be skipped. Its status comes from its last job and from the clip on the timeline that
carries its id (`bmd_shot`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import bpy
from bpy.props import BoolProperty, CollectionProperty, StringProperty

from ..common import shot_timing
from ..common.enums import JobState, MediaInput, OutputKind
from ..common.errors import InvalidSettingsError, QueueError
from . import addon, compat, looks, properties, queueing, timing

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..common.model_info import ModelInfo
    from ..jobs.records import JobRecord


class MOVIE_DIRECTOR_shot_cast(bpy.types.PropertyGroup):
    name: StringProperty(name="Cast Member", description="A member of the Cast panel's cast in this shot")


class MOVIE_DIRECTOR_shot(bpy.types.PropertyGroup):
    is_shot: BoolProperty(name="Shot", default=False, description="This text strip is a shot of the sequence")
    uid: StringProperty(name="Shot Id", options={"HIDDEN"})
    model: StringProperty(name="Model", default="",
                          description="Model for this shot (empty: the Shot panel's model)")
    start_image: StringProperty(name="Start Image", subtype="FILE_PATH",
                                description="The clip opens on this image (a model that takes a start image)")
    end_image: StringProperty(name="End Image", subtype="FILE_PATH",
                              description="The clip ends on this image (a model that takes an end image)")
    skip: BoolProperty(name="Skip", default=False, description="Leave this shot out of Generate All")
    extend_previous: BoolProperty(name="Continue Previous Shot", default=False,
                                  description="Continue the previous shot's clip (Extend) instead of starting afresh; "
                                              "waits until that clip is on the timeline")
    job_id: StringProperty(name="Job", options={"HIDDEN"})
    cast: CollectionProperty(type=MOVIE_DIRECTOR_shot_cast,
                             description="Who is in this shot: their reference images go to a model that takes them")


classes = (MOVIE_DIRECTOR_shot_cast, MOVIE_DIRECTOR_shot)


def strip_type() -> type:
    return getattr(bpy.types, "Strip", None) or bpy.types.Sequence  # Sequence on 4.2


def register() -> None:
    strip_type().movie_director_shot = bpy.props.PointerProperty(type=MOVIE_DIRECTOR_shot)


def unregister() -> None:
    del strip_type().movie_director_shot


# -- the list


def make_shot(strip) -> None:
    shot = strip.movie_director_shot
    shot.is_shot = True
    if not shot.uid:
        shot.uid = uuid.uuid4().hex[:10]


def shots_of(scene: bpy.types.Scene, *, fix_ids: bool = True) -> list:
    """The scene's shots in timeline order. A shot duplicated in Blender gets an id of its own (not
    while a panel draws: Blender refuses writes there)."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    found = sorted((s for s in compat.all_strips(editor) if s.type == "TEXT" and s.movie_director_shot.is_shot),
                   key=lambda s: (s.frame_final_start, s.channel))
    if not fix_ids:
        return found
    seen: set[str] = set()
    for strip in found:
        shot = strip.movie_director_shot
        if not shot.uid or shot.uid in seen:
            shot.uid = uuid.uuid4().hex[:10]
            shot.job_id = ""
        seen.add(shot.uid)
    return found


def find_shot(scene: bpy.types.Scene, uid: str):
    return next((s for s in shots_of(scene) if s.movie_director_shot.uid == uid), None)


def clips_of(scene: bpy.types.Scene, uid: str) -> list:
    editor = scene.sequence_editor
    if editor is None or not uid:
        return []
    return [s for s in compat.all_strips(editor) if s.get("bmd_shot") == uid and "bmd_model" in s]


def relink(scene: bpy.types.Scene, uid: str, job_id: str) -> None:
    """A shot's job was replaced (its placeholder was trimmed before it started)."""
    strip = find_shot(scene, uid)
    if strip is not None:
        strip.movie_director_shot.job_id = job_id


# -- what a shot asks for


def continues_video(model: ModelInfo) -> bool:
    """It can continue a given video (and needs nothing else)."""
    return (model.output is OutputKind.VIDEO and model.accepts(MediaInput.VIDEO_SOURCE)
            and set(model.required_inputs) <= {MediaInput.VIDEO_SOURCE})


def video_continuing_model(*preferred: str) -> ModelInfo | None:
    """The first of the preferred models that continues videos, else the first in the catalog that does."""
    models = queueing.known_models()
    for model_id in preferred:
        model = models.get(model_id)
        if model is not None and continues_video(model):
            return model
    return next((m for m in models.values() if continues_video(m)), None)


def previous_clip(scene: bpy.types.Scene, strip):
    """The clip of the shot before this one (its lowest take), if it is on the timeline."""
    found = shots_of(scene, fix_ids=False)
    index = found.index(strip) if strip in found else 0
    if index == 0:
        return None
    made = clips_of(scene, found[index - 1].movie_director_shot.uid)
    return min(made, key=lambda c: c.channel) if made else None


def model_for(scene: bpy.types.Scene, strip) -> ModelInfo | None:
    shot = strip.movie_director_shot
    if shot.extend_previous:
        before = previous_clip(scene, strip)
        return video_continuing_model(shot.model, scene.movie_director.model,
                                      str(before.get("bmd_model", "")) if before is not None else "")
    return queueing.known_models().get(shot.model or scene.movie_director.model)


def timing_of(scene: bpy.types.Scene, strip) -> shot_timing.ShotTiming | None:
    model = model_for(scene, strip)
    if model is None:
        return None
    return shot_timing.for_slot(model, int(strip.frame_final_duration), timing.scene_fps(scene))


@dataclass(frozen=True)
class ShotStatus:
    state: str  # draft, queued, rendering, done, failed, cancelled, skipped, too long
    text: str
    progress: float = 0.0
    record: JobRecord | None = None

    @property
    def busy(self) -> bool:
        return self.state in ("queued", "rendering")


def status_of(scene: bpy.types.Scene, strip) -> ShotStatus:
    shot = strip.movie_director_shot
    manager = addon.manager_if_running()
    record = manager.get(shot.job_id) if manager is not None and shot.job_id else None
    has_clip = bool(clips_of(scene, shot.uid))
    if record is not None and not record.state.is_terminal:
        if record.state is JobState.RUNNING:
            return ShotStatus("rendering", f"rendering {record.progress * 100:.0f}%", record.progress, record)
        return ShotStatus("queued", "queued", 0.0, record)
    if shot.skip:
        return ShotStatus("skipped", "skipped")
    if has_clip:
        return ShotStatus("done", "done", 1.0, record)
    if shot.extend_previous and previous_clip(scene, strip) is None:
        return ShotStatus("waiting", "waits for the previous shot's clip (it continues it)")
    if record is not None and record.state is JobState.SUCCEEDED:
        return ShotStatus("queued", "placing", 1.0, record)
    if record is not None and record.state is JobState.FAILED:
        return ShotStatus("failed", f"failed: {record.error}", 0.0, record)
    if record is not None and record.state in (JobState.CANCELLED, JobState.INTERRUPTED):
        return ShotStatus("cancelled", record.state.value, 0.0, record)
    timed = timing_of(scene, strip)
    if timed is not None and not timed.fits:
        return ShotStatus("too long", "too long for one job: split it")
    return ShotStatus("draft", "draft")


def cast_names(strip) -> list[str]:
    return [item.name for item in strip.movie_director_shot.cast]


def set_in_shot(strip, name: str, in_shot: bool) -> None:
    """Put a cast member in this shot (or take them out)."""
    cast = strip.movie_director_shot.cast
    index = next((i for i, item in enumerate(cast) if item.name == name), -1)
    if in_shot and index < 0:
        cast.add().name = name
    elif not in_shot and index >= 0:
        cast.remove(index)


def cast_of(scene: bpy.types.Scene, strip) -> list:
    """The cast members in this shot (the Cast panel's members, by name). A name no member has any more
    (renamed or removed) is refused, naming the shot: the clip would be made without them."""
    members = {m.name: m for m in looks.look_of(scene).cast}
    gone = [name for name in cast_names(strip) if name not in members]
    if gone:
        raise InvalidSettingsError("cast", f"Shot '{strip.text.strip()[:40]}' has {', '.join(gone)} in its cast, "
                                           "who is not in the Cast panel any more",
                                   hint="add them to the cast again, or take them out of the shot")
    return [members[name] for name in cast_names(strip)]


def needs_generating(scene: bpy.types.Scene, strip) -> bool:
    return status_of(scene, strip).state in ("draft", "failed", "cancelled")


@dataclass(frozen=True)
class ShotRequest:
    """What a shot asks for: the job's settings and the slot its clip fills (scene frames)."""

    settings: dict
    channel: int
    frame_start: int
    slot_frames: int
    label: str


def shot_request(scene: bpy.types.Scene, strip) -> ShotRequest:
    """One shot's settings and slot: exactly its text strip's place and length, on the channel above it.
    Refused (a typed error naming the shot or the field) when the shot cannot be made as it is."""
    make_shot(strip)
    shot = strip.movie_director_shot
    props = scene.movie_director
    model = model_for(scene, strip)
    if model is None:
        raise InvalidSettingsError("model_type", f"unknown model '{shot.model or props.model}'",
                                   hint="pick one from the Model list (connect to the server to refresh it)")
    prompt = strip.text.strip()
    timed = shot_timing.for_slot(model, int(strip.frame_final_duration), timing.scene_fps(scene))
    if not timed.fits:
        pieces = len(shot_timing.split_lengths(timed.slot_frames, timed.scene_fps, model))
        raise QueueError(f"Shot '{prompt[:40]}' is too long: {timed.too_long_message}",
                         hint=f"press Split to make it {pieces} shots, or pick a model with a sliding window")
    overrides: dict = {"model_type": model.id, "prompt": prompt, "video_length": timed.model_frames}
    if shot.extend_previous:
        before = previous_clip(scene, strip)
        if before is None:
            raise QueueError(f"Shot '{prompt[:40]}' continues the previous shot, which has no clip yet",
                             hint="generate the previous shot first (Generate All again once it is done)")
        overrides["video_source"] = bpy.path.abspath(before.filepath)
    for media, path in ((MediaInput.IMAGE_START, shot.start_image), (MediaInput.IMAGE_END, shot.end_image)):
        if not path:
            continue
        file = Path(bpy.path.abspath(path))
        if not model.accepts(media):
            raise InvalidSettingsError(media.value, f"{model.name} does not take a {media.value.replace('_', ' ')}",
                                       hint="pick a model that does for this shot, or clear the image")
        if not file.is_file():
            raise InvalidSettingsError(media.value, f"no image at {file}", hint="pick the image again")
        overrides[media.value] = str(file)
    members = cast_of(scene, strip)
    if members and not model.accepts(MediaInput.IMAGE_REFS):
        raise InvalidSettingsError(
            "cast", f"Shot '{prompt[:40]}': {model.name} takes no reference images, so its cast "
                    f"({', '.join(m.name for m in members)}) cannot be shown to it",
            hint="pick a model that takes reference images for this shot (VACE, Phantom, Lynx, Stand-In, LTX-2 …) "
                 "or take the cast out of the shot")
    settings = props.to_settings(cast_members=members, **overrides)
    if props.resolution != properties.DEFAULT_RESOLUTION and props.resolution not in model.resolutions:
        settings.pop("resolution", None)  # the panel's size is for another model: this one's default
    return ShotRequest(settings, strip.channel + 1, int(strip.frame_final_start), timed.slot_frames,
                       prompt[:queueing.LABEL_CHARS])


def queue_shot(scene: bpy.types.Scene, strip) -> JobRecord:
    """Queue one shot's clip at its slot; the placeholder (and so the clip) carries the shot's id."""
    request = shot_request(scene, strip)
    shot = strip.movie_director_shot
    record = queueing.queue_generation(scene, request.settings, channel=request.channel,
                                       frame_start=request.frame_start, slot_frames=request.slot_frames,
                                       label=request.label, placeholder_tags={"bmd_shot": shot.uid})
    shot.job_id = record.id
    return record


# -- splitting a shot that is too long


_NOT_COPIED = {"rna_type", "name", "type", "select", "select_left_handle", "select_right_handle", "channel",
               "frame_start", "frame_final_start", "frame_final_end", "frame_final_duration", "frame_duration",
               "frame_offset_start", "frame_offset_end", "frame_still_start", "frame_still_end", "lock",
               "movie_director_shot", "input_count", "input_1", "input_2", "color_tag"}


def split(scene: bpy.types.Scene, strip) -> list:
    """Cut a shot into the fewest pieces that each fit its model's one window; returns the pieces."""
    model = model_for(scene, strip)
    if model is None:
        raise InvalidSettingsError("model_type", "unknown model", hint="connect to the server")
    lengths = shot_timing.split_lengths(int(strip.frame_final_duration), timing.scene_fps(scene), model)
    if len(lengths) <= 1:
        return [strip]
    start, channel = int(strip.frame_final_start), strip.channel
    pieces = [strip]
    strip.frame_final_duration = lengths[0]
    at = start + lengths[0]
    for number, length in enumerate(lengths[1:], start=2):
        piece = compat.new_effect(scene.sequence_editor, f"{strip.name[:50]} {number}", "TEXT", channel, at, length)
        _copy_style(strip, piece)
        make_shot(piece)
        piece.movie_director_shot.model = strip.movie_director_shot.model
        pieces.append(piece)
        at += length
    return pieces


def _copy_style(source, target) -> None:
    for prop in source.bl_rna.properties:
        key = prop.identifier
        if key in _NOT_COPIED or prop.is_readonly or prop.type in ("POINTER", "COLLECTION"):
            continue
        try:
            setattr(target, key, getattr(source, key))
        except (AttributeError, TypeError, ValueError):
            pass
    if getattr(source, "font", None) is not None:
        target.font = source.font
