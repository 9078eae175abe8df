"""Finishing a strip: a job like any other, whose result lands above the strip it finishes.

Upscale and Smooth put a movie strip on the first free channel above the source, at its start and as
long as it; Add Sound puts a sound strip there: made from the picture (MMAudio, the server's /finish),
or music or speech from a sound model for a text prompt (a generation, as long as the clip). Each
result carries `bmd_source` (the source strip's name) and the finishing in its settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import bpy

from ..common.enums import ModelGroup, OutputKind
from ..common.errors import InvalidSettingsError, PlacementError, QueueError
from . import addon, compat, queueing, sequencer, timing
from .projects import journal_path
from .result_links import SOURCE_TAG

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..common.finishing import FinishOperation
    from ..common.settings import GenerationSettings
    from ..jobs.records import JobRecord, Slot


def source_file(strip) -> Path:
    """The file a movie or image strip shows."""
    if strip.type == "MOVIE":
        return Path(bpy.path.abspath(strip.filepath))
    if strip.type == "IMAGE" and len(strip.elements):
        return Path(bpy.path.abspath(strip.directory)) / strip.elements[0].filename
    raise PlacementError(f"{strip.name} is a {strip.type.lower()} strip: finish a movie or an image strip")


def clip_settings(strip) -> GenerationSettings:
    """What the strip is: its Director settings (seed and all), or a plain description of a clip made elsewhere."""
    from ..common.settings import GenerationSettings

    raw = strip.get("bmd_settings")
    if raw:
        try:
            settings = GenerationSettings.model_validate_json(raw)
            seed = int(strip.get("bmd_seed", settings.seed))
            return settings.model_copy(update={"seed": seed if seed >= 0 else -1, "finish": None})
        except ValueError:
            pass
    return GenerationSettings(model_type=str(strip.get("bmd_model") or "clip"), prompt=strip.name or "clip")


def slot_above(scene: bpy.types.Scene, strip) -> Slot:
    from ..jobs.records import Slot

    start, frames = int(strip.frame_final_start), max(1, int(strip.frame_final_duration))
    channel = sequencer.free_channel(scene, strip.channel + 1, start, frames, ignore={strip.name})
    return Slot(scene=scene.name, channel=channel, frame_start=start, frames=frames)


def queue_finish(scene: bpy.types.Scene, strip, operation: FinishOperation | str, **options) -> JobRecord:
    """Queue Upscale, Smooth or Add Sound (from the picture) for the strip; its placeholder holds the slot above."""
    from ..client.finishing import finish_settings
    from ..common.finishing import FinishOperation

    operation = FinishOperation(operation)
    path = source_file(strip)
    if not path.is_file():
        raise PlacementError(f"{strip.name}'s file is missing: {path}")
    if operation is not FinishOperation.UPSCALE and strip.type != "MOVIE":
        raise InvalidSettingsError("finish.operation", f"{operation.label} needs a movie strip; {strip.name} is a still",
                                   hint="select a movie strip (Upscale also works on stills)")
    url = addon.server_url()
    queueing.check_online_access(url)
    manager = addon.manager()
    manager.set_url(url)
    try:
        settings = finish_settings(path, operation, like=clip_settings(strip), source_strip=strip.name[:128],
                                   source_job_id=str(strip.get("bmd_server_job_id", ""))[:64], **options)
    except ValueError as exc:
        raise InvalidSettingsError("finish", str(exc).split("\n")[-1][:200]) from None
    record = manager.submit(settings, slot_above(scene, strip), addon.output_dir(),
                            label=f"{settings.finish.describe() if settings.finish else operation.label}: {strip.name}"[:120],
                            project=journal_path())
    placeholder = sequencer.add_placeholder(scene, record)
    compat.all_strips(scene.sequence_editor)[placeholder][SOURCE_TAG] = strip.name
    return record


def sound_models(kind: str) -> list:
    """Sound models for Add Sound's music or speech: the server's (or the built-in) music or TTS family."""
    family = {"MUSIC": ("music",), "SPEECH": ("tts",)}[kind]
    found = [m for m in queueing.known_models().values() if m.output is OutputKind.AUDIO and ModelGroup.AUDIO in m.groups]
    preferred = [m for m in found if m.family in family]
    return sorted(preferred or found, key=lambda m: not m.available)


def queue_sound_for(scene: bpy.types.Scene, strip, kind: str, prompt: str, model_id: str = "") -> JobRecord:
    """Music or speech from a sound model for a text prompt, placed as a sound strip above the strip."""
    if not prompt.strip():
        raise InvalidSettingsError("prompt", f"say what the {kind.lower()} should be", hint="type a sound prompt")
    models = sound_models(kind)
    model = next((m for m in models if m.id == model_id), models[0] if models else None)
    if model is None:
        raise QueueError("the server offers no sound model", hint="connect to a server with music or speech models")
    seconds = max(0.5, int(strip.frame_final_duration) / timing.scene_fps(scene)) if kind == "MUSIC" else 0.0
    settings = {"model_type": model.id, "prompt": prompt.strip(), "duration_seconds": round(seconds, 2)}
    slot = slot_above(scene, strip)
    return queueing.queue_generation(scene, settings, channel=slot.channel, frame_start=slot.frame_start,
                                     slot_frames=slot.frames, label=f"{kind.title()}: {prompt.strip()}"[:120],
                                     placeholder_tags={SOURCE_TAG: strip.name})
