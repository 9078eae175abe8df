"""For Blender's Python console and scripts: the same client and job list the panel uses.

    import blender_movie_director.scripting as bmd          # bl_ext.user_default.… when installed
    bmd.queue_job("a fox in snow", model="t2v_1.3B", seconds=2, frame=1, channel=3)   # lands on the timeline
    clip = bmd.generate_quick_video("waves at dusk")          # blocking: a JobResult, clip.video_path
    bmd.jobs()                                                # what the Jobs panel shows
"""

from __future__ import annotations

from typing import Any

from ..client.wan2gp_client import Wan2GPClient
from ..client.wan2gp_client import generate_high_quality_video as _hq
from ..client.wan2gp_client import generate_quick_video as _quick
from ..common.enums import OutputKind
from ..common.messages import JobResult
from ..jobs.records import JobRecord


def client() -> Wan2GPClient:
    """A new connected client to the add-on's server URL (close it when done)."""
    from . import addon

    c = Wan2GPClient(addon.server_url(), output_dir=addon.output_dir())
    c.connect()
    return c


def generate_quick_video(prompt: str, **options: Any) -> JobResult:
    """Blocking: returns when the clip is on disk. Don't call it from a UI callback."""
    from . import addon

    return _quick(prompt, url=addon.server_url(), output_dir=options.pop("output_dir", addon.output_dir()), **options)


def generate_high_quality_video(prompt: str, **options: Any) -> JobResult:
    from . import addon

    return _hq(prompt, url=addon.server_url(), output_dir=options.pop("output_dir", addon.output_dir()), **options)


def queue_job(prompt: str, *, model: str | None = None, seconds: float | None = None, frames: int | None = None,
              frame: int | None = None, channel: int | None = None, scene: Any = None, **settings: Any) -> JobRecord:
    """Queue into the add-on's job list (non-blocking); the clip lands at frame/channel when done."""
    import bpy

    from . import queueing

    scene = scene or bpy.context.scene
    props = scene.movie_director
    model_id = model or props.model
    info = queueing.known_models().get(model_id)
    slot_frames = None  # frames: the clip's length at real speed; seconds: that much scene time
    if frames is None and info is not None:
        if seconds is not None and info.output is OutputKind.VIDEO and info.fps:
            from ..common import shot_timing
            from . import timing

            shot = shot_timing.for_seconds(info, seconds, timing.scene_fps(scene))
            frames, slot_frames = shot.model_frames, shot.slot_frames
        else:
            frames = info.frames_for_seconds(seconds) if seconds is not None else props.frame_count(info)
    simulation = settings.pop("simulation", None)
    merged = props.to_settings(model_type=model_id, prompt=prompt, **settings)
    if frames is not None:
        merged["video_length"] = frames
    return queueing.queue_generation(scene, merged, channel=channel or props.channel,
                                     frame_start=scene.frame_current if frame is None else frame,
                                     simulation=simulation, slot_frames=slot_frames)


def jobs() -> list[JobRecord]:
    from . import addon

    return addon.manager().jobs()
