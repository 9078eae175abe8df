"""The one path from "generate this" to a queued job with its timeline slot held.

Operators, the text-strip batch, image-to-video, regenerate and Python scripts all come here, so
validation, the slot, the placeholder and the online-access rule are decided in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bpy

from ..common import shot_timing
from ..common.addresses import is_loopback_url
from ..common.errors import InvalidSettingsError, QueueError
from . import addon, compat, sequencer, timing
from .projects import journal_path

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..common.model_info import ModelInfo
    from ..common.settings import SimulationOptions
    from ..jobs.records import JobRecord

LABEL_CHARS = 120  # the Jobs panel wraps a job's label over two lines


def known_models() -> dict[str, ModelInfo]:
    """The server's catalog once connected; before that, the built-in one (the server re-checks)."""
    from ..common.catalog import MODELS_BY_ID

    models = addon.manager().server.models
    return {m.id: m for m in models} if models else dict(MODELS_BY_ID)


def check_online_access(url: str) -> None:
    if is_loopback_url(url):
        return
    if not bpy.app.online_access:
        raise QueueError(
            f"{url} is not on this computer and Blender's online access is off",
            hint="enable Preferences › System › Network › Allow Online Access, or use a local server",
        )


def queue_generation(
    scene: bpy.types.Scene,
    settings: dict[str, Any],
    *,
    channel: int,
    frame_start: int,
    label: str = "",
    simulation: SimulationOptions | dict | None = None,
    slot_frames: int | None = None,
    placeholder_tags: dict[str, Any] | None = None,
    reuse_placeholder: Any = None,
) -> JobRecord:
    """Validate, capture the slot, add a placeholder, hand the job to the worker. Never blocks.

    The slot is scene time: `slot_frames` scene frames when given (a text strip, a shot), else the
    clip's own length at real speed (33 frames at 16 fps fill 48 frames of a 24 fps scene); the clip is
    retimed into it when placed. `placeholder_tags` go on the placeholder and on to the clip;
    `reuse_placeholder`, a placeholder strip whose job this one replaces, holds the slot instead of a
    new one (the user may be holding it)."""
    from ..common.settings import SimulationOptions, parse_settings
    from ..jobs.records import Slot

    url = addon.server_url()
    check_online_access(url)
    manager = addon.manager()
    manager.set_url(url)
    parsed = parse_settings(settings)
    model = known_models().get(parsed.model_type)
    if model is None:
        raise InvalidSettingsError("model_type", f"unknown model '{parsed.model_type}'",
                                   hint="pick one from the Model list (connect to the server to refresh it)")
    resolved = parsed.resolved_for(model)
    if slot_frames is None:
        slot_frames = shot_timing.for_model_frames(model, resolved.video_length or 1, timing.scene_fps(scene)).slot_frames
    keep = {reuse_placeholder.name} if reuse_placeholder is not None else frozenset()
    channel = sequencer.free_channel(scene, max(1, channel), frame_start, slot_frames, ignore=keep)
    if simulation is not None and not isinstance(simulation, SimulationOptions):
        simulation = SimulationOptions.model_validate(simulation)
    record = manager.submit(resolved, Slot(scene=scene.name, channel=channel, frame_start=frame_start, frames=slot_frames), addon.output_dir(),
                            label=label or resolved.prompt[:LABEL_CHARS], simulation=simulation,
                            project=journal_path())  # this .blend's own journal
    if reuse_placeholder is not None:
        reuse_placeholder["bmd_job_id"] = record.id
        placeholder = reuse_placeholder.name
    else:
        placeholder = sequencer.add_placeholder(scene, record)
    for key, value in (placeholder_tags or {}).items():
        compat.all_strips(scene.sequence_editor)[placeholder][key] = value
    return record
