"""Putting things on the timeline: placeholders that hold a job's slot, finished clips, metadata.

Only the main thread (operators and the timer tick) calls these.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import bpy

from ..common.errors import PlacementError
from . import compat, placement, result_links, timing

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..common.messages import JobResult
    from ..jobs.records import JobRecord, Slot

MAX_CHANNEL = 128
PLACEHOLDER_COLOR = (0.25, 0.25, 0.32)
STILL_FRAMES = 48
SOUND_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")  # what sound models (music, speech) write


def editor_of(scene: bpy.types.Scene):
    return scene.sequence_editor or scene.sequence_editor_create()


def is_free(scene: bpy.types.Scene, channel: int, start: int, frames: int, ignore: set[str] = frozenset()) -> bool:
    editor = scene.sequence_editor
    if editor is None:
        return True
    end = start + frames
    for strip in compat.all_strips(editor):
        if strip.name in ignore or strip.channel != channel:
            continue
        if strip.frame_final_start < end and start < strip.frame_final_end:
            return False
    return True


def free_channel(scene: bpy.types.Scene, channel: int, start: int, frames: int,
                 ignore: set[str] = frozenset(), count: int = 1) -> int:
    """`channel` if nothing overlaps there, else the first free one above it (the first of `count`
    free channels in a row: a clip retimed by a Speed effect takes two)."""
    for candidate in range(max(1, channel), MAX_CHANNEL + 2 - count):
        if all(is_free(scene, candidate + i, start, frames, ignore) for i in range(count)):
            return candidate
    raise PlacementError(f"no free channel above {channel} at frame {start}")


def add_placeholder(scene: bpy.types.Scene, record: JobRecord) -> str:
    """A grey colour strip that holds the slot while the job runs; returns its name."""
    editor = editor_of(scene)
    slot = record.slot
    strip = compat.new_effect(editor, placement.placeholder_name(scene, record.settings.prompt), "COLOR",
                              slot.channel, slot.frame_start, max(1, slot.frames))
    strip.color = PLACEHOLDER_COLOR
    strip["bmd_job_id"] = record.id
    strip["bmd_placeholder"] = True
    return strip.name


def find_placeholder(scene: bpy.types.Scene, job_id: str):
    editor = scene.sequence_editor
    if editor is None:
        return None
    for strip in compat.all_strips(editor):
        if strip.get("bmd_placeholder") and strip.get("bmd_job_id") == job_id:
            return strip
    return None


def remove_placeholder(record: JobRecord) -> Slot:
    """Remove the job's placeholder; the slot is where the user left it (they may have moved or trimmed it)."""
    from ..jobs.records import Slot

    scene = bpy.data.scenes.get(record.slot.scene)
    if scene is None:
        return record.slot
    strip = find_placeholder(scene, record.id)
    if strip is None:
        return record.slot
    slot = Slot(scene=scene.name, channel=strip.channel, frame_start=int(strip.frame_final_start),
                frames=int(strip.frame_final_duration))
    compat.strips(scene.sequence_editor).remove(strip)
    return slot


def place_result(record: JobRecord) -> list[str]:
    """Put a finished clip (and its sound) on the timeline at the job's slot; returns strip names."""
    result = record.result
    assert result is not None
    scene = bpy.data.scenes.get(record.slot.scene)
    if scene is None:
        raise PlacementError(f"the scene '{record.slot.scene}' is gone; the clip is kept at {result.video_path}")
    path = Path(result.video_path)
    if not path.is_file():
        raise PlacementError(f"the clip vanished from {path} before it could be placed")
    placeholder = find_placeholder(scene, record.id)
    extras = placement.placeholder_extras(placeholder)
    source = result_links.source_of(placeholder)  # the strip it was made for (a finish, a sound for a clip)
    slot = remove_placeholder(record)
    if path.suffix.lower() in SOUND_SUFFIXES or result_links.is_sound_only(record):  # sound: a sound strip
        sound_name = place_sound(scene, record, result, path, slot)
        if source:
            compat.all_strips(scene.sequence_editor)[sound_name][result_links.SOURCE_TAG] = source
        return [sound_name]
    editor = editor_of(scene)
    collection = compat.strips(editor)
    frames = slot.frames if slot.frames > 0 else STILL_FRAMES  # scene frames: the clip is retimed to fill them
    channel = free_channel(scene, slot.channel, slot.frame_start, frames,
                           count=timing.channels_needed(result.frames, frames))
    name = placement.clip_name(scene, result.settings.prompt, extras)
    if path.suffix.lower() == ".png" or result.frames == 1:
        strip = collection.new_image(name=name, filepath=str(path), channel=channel, frame_start=slot.frame_start)
        strip.frame_final_duration = frames
    else:
        staging = free_channel(scene, channel, slot.frame_start, max(frames, result.frames + 1))
        strip = collection.new_movie(name=name, filepath=timing.strip_path(path), channel=staging, frame_start=slot.frame_start,
                                     fit_method="FIT")  # scaled to the render size, whatever the clip's
        if strip.frame_final_duration <= 1 < result.frames:  # new_movie makes a 1-frame strip on a bad file
            collection.remove(strip)
            raise PlacementError(f"Blender could not read {path.name}; the file is kept at {path}")
        timing.fit_to_slot(scene, strip, frames, channel)  # plays at real speed, first to last frame in the slot
    write_metadata(strip, record, result)
    placement.tag(strip, extras, frames)
    if source:
        strip[result_links.SOURCE_TAG] = source
    placed = [strip.name]
    if result.has_audio:
        sound_channel = free_channel(scene, channel + timing.channels_needed(result.frames, frames),
                                     slot.frame_start, frames)
        sound = collection.new_sound(name=placement.clip_name(scene, result.settings.prompt, extras, "sound"),
                                     filepath=str(path), channel=sound_channel, frame_start=slot.frame_start)
        if sound.frame_final_duration > frames:  # sound plays at real speed: only cut what runs past the slot
            sound.frame_final_duration = frames
        sound["bmd_job_id"] = record.id
        placed.append(sound.name)
    return placed


def place_sound(scene: bpy.types.Scene, record: JobRecord, result: JobResult, path: Path, slot: Slot) -> str:
    """A sound strip at the slot's start, as long as the sound is (never cut), on a channel free for it."""
    collection = compat.strips(editor_of(scene))
    seconds = result.settings.duration_seconds or 0.0
    length = max(1, slot.frames, round(seconds * scene.render.fps / scene.render.fps_base))
    channel = free_channel(scene, slot.channel, slot.frame_start, length)
    sound = collection.new_sound(name=f"{result.settings.model_type} {record.label}"[:60], filepath=str(path),
                                 channel=channel, frame_start=slot.frame_start)
    actual = int(sound.frame_final_duration)
    if actual > length and not is_free(scene, channel, slot.frame_start, actual, ignore={sound.name}):
        sound.channel = free_channel(scene, channel, slot.frame_start, actual, ignore={sound.name})
    write_metadata(sound, record, result)
    return sound.name


def write_metadata(strip, record: JobRecord, result: JobResult) -> None:
    """bmd_* custom properties: enough to regenerate, vary or extend the shot later."""
    settings = result.settings
    strip["bmd_job_id"] = record.id
    strip["bmd_server_job_id"] = result.job_id
    strip["bmd_server"] = record.server_url  # the server that made it (one of several)
    strip["bmd_model"] = settings.model_type
    strip["bmd_prompt"] = settings.prompt
    strip["bmd_negative_prompt"] = settings.negative_prompt
    strip["bmd_seed"] = result.seed
    strip["bmd_frames"] = result.frames
    strip["bmd_fps"] = result.fps
    strip["bmd_resolution"] = f"{result.width}x{result.height}"
    strip["bmd_steps"] = settings.num_inference_steps or 0
    strip["bmd_guidance"] = settings.guidance_scale if settings.guidance_scale is not None else -1.0
    strip["bmd_engine"] = result.engine.value
    strip["bmd_output"] = str(result.video_path)
    # the full settings as sent (media paths included), for Regenerate / Variation
    original = record.settings.model_copy(update={"seed": result.seed})
    strip["bmd_settings"] = original.model_dump_json()
    result_links.tag(strip, record)  # its look, cast, LoRAs, and what it finished


def settings_json_of(strip) -> dict:
    raw = strip.get("bmd_settings")
    if not raw:
        raise PlacementError(f"{strip.name} was not made by Movie Director (no bmd_settings)")
    return json.loads(raw)

