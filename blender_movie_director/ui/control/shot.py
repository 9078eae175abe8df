"""A shot driven by a control: a 3D scene strip (or a scene and its camera), or any movie strip, with a
second strip as its mask, read the way the film maker picks (common/control.py).

The shot covers its control's range on the timeline, on the channel above it, at true speed
(common/shot_timing.py): a slot of S scene frames asks the model for N frames at its own rate, and
control frame k is what the timeline shows k·(S-1)/(N-1) frames into the slot, sub-frames included,
so that once the clip is retimed over the slot the generated frame k and the control line up.
The control renders first (ui/control/tasks.py); the job is queued, with its placeholder, when the
control video exists.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bpy

from ...common import shot_timing
from ...common.control import ControlPlan, ControlReading, ControlRender, plan
from ...common.enums import MediaInput
from ...common.errors import InvalidSettingsError, QueueError
from ...common.filenames import slug
from .. import addon, compat, properties, queueing, timing
from . import tasks

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ...common.model_info import ModelInfo

SOURCE_SCENE = "BMD control source"
CONTROL_FOLDER = "control"  # beside the clips: the control videos jobs were sent (Regenerate sends them again)


@dataclass(frozen=True)
class Control:
    """What drives a shot, on the timeline."""

    kind: str  # "scene" (a 3D scene rendered by a camera) or "strip" (a movie or image strip as it plays)
    frame_start: int  # the slot: timeline frames
    slot_frames: int
    channel: int  # of the control strip (the clip goes above it)
    scene: str = ""  # the 3D scene
    camera: str = ""  # its camera ("": the scene's own)
    first: float = 0.0  # the 3D scene's frame (or the timeline's, for a strip) at the slot's first frame
    scene_step: float = 1.0  # its frames per timeline frame
    strip: str = ""  # the movie or image strip


def from_scene_strip(strip) -> Control:
    """A scene strip: its scene through its camera (or the strip's camera override), over its range."""
    scene = strip.scene
    if scene is None:
        raise InvalidSettingsError("video_guide", f"scene strip '{strip.name}' shows no scene", hint="pick its scene")
    if getattr(strip, "scene_input", "CAMERA") != "CAMERA":
        raise InvalidSettingsError("video_guide", f"scene strip '{strip.name}' shows its scene's sequencer, not a camera",
                                   hint="set the strip's Input to Camera, or use a movie strip as the control")
    camera = getattr(strip, "scene_camera", None) or scene.camera
    if camera is None:
        raise InvalidSettingsError("video_guide", f"scene '{scene.name}' has no camera",
                                   hint="set one in the strip (Scene › Camera) or in the scene's properties")
    start, length = int(strip.frame_final_start), int(strip.frame_final_duration)
    # a scene strip plays its scene frame for frame from the scene's start (trimmed by its offset)
    first = scene.frame_start + (start - int(strip.frame_start))
    return Control("scene", start, length, strip.channel, scene=scene.name, camera=camera.name, first=float(first))


def from_scene(edit: bpy.types.Scene, scene: bpy.types.Scene, camera, frame_start: int, channel: int) -> Control:
    """A scene and a camera (no strip): its whole frame range, at true speed in the edit's frame rate."""
    if camera is None and scene.camera is None:
        raise InvalidSettingsError("video_guide", f"scene '{scene.name}' has no camera", hint="pick one")
    frames = scene.frame_end - scene.frame_start + 1
    scene_fps = scene.render.fps / (scene.render.fps_base or 1.0)
    slot = max(1, round(frames * timing.scene_fps(edit) / scene_fps))
    step = (frames - 1) / (slot - 1) if slot > 1 else 0.0
    return Control("scene", frame_start, slot, channel - 1, scene=scene.name,
                   camera=(camera or scene.camera).name, first=float(scene.frame_start), scene_step=step)


def from_strip(strip) -> Control:
    """A movie (or image) strip as it plays on the timeline: a phone video, a previous take."""
    if strip.type not in ("MOVIE", "IMAGE"):
        raise InvalidSettingsError("video_guide", f"'{strip.name}' is a {strip.type.lower()} strip",
                                   hint="use a scene, movie or image strip as the control")
    start, length = int(strip.frame_final_start), int(strip.frame_final_duration)
    return Control("strip", start, length, strip.channel, first=float(start), strip=strip.name)


def control_of(strip) -> Control:
    return from_scene_strip(strip) if strip.type == "SCENE" else from_strip(strip)


# ---------------------------------------------------------------- queueing


def queue_control_shot(edit: bpy.types.Scene, control: Control, reading: ControlReading | str, *,
                       mask_strip=None, model_id: str = "", prompt: str = "", label: str = "",
                       extra_settings: dict[str, Any] | None = None) -> tasks.ControlTask:
    """Render the control (and the mask) at the model's rate and size, then queue the shot over the
    control's range. Returns the render task (done at once where Blender runs as a module)."""
    props = edit.movie_director
    model = queueing.known_models().get(model_id or props.model)
    if model is None:
        raise InvalidSettingsError("model_type", f"unknown model '{model_id or props.model}'",
                                   hint="pick one from the Model list (connect to the server to refresh it)")
    prompt = (prompt or props.prompt).strip()
    if not prompt:
        raise InvalidSettingsError("prompt", "the prompt is empty: describe the shot you want")
    how = plan(model, reading, masked=mask_strip is not None, from_scene=control.kind == "scene")
    timed = shot_timing.for_slot(model, control.slot_frames, timing.scene_fps(edit))
    if not timed.fits:
        raise QueueError(f"the control is too long: {timed.too_long_message}", hint="trim the strip or split the shot")
    frames = timed.model_frames
    width, height = _size(props, model)
    out = addon.output_dir() / CONTROL_FOLDER
    stem = f"{time.strftime('%Y%m%d-%H%M%S')}_{slug(prompt, 30)}_{how.reading.value}"
    timeline_step = (control.slot_frames - 1) / (frames - 1) if frames > 1 else 0.0  # slot frames per clip frame
    videos, roots, made = [], [], []
    try:
        if control.kind == "scene":
            scene = bpy.data.scenes[control.scene]
            kind = how.render.value if how.render is not ControlRender.SHADED else "shaded"
            videos.append({"scene": scene.name, "camera": control.camera, "render": kind,
                           "output": str(out / f"{stem}.mp4")})
            roots.append(scene)
            first, step = control.first, timeline_step * control.scene_step
        else:
            source = _strip_scene(edit, _strip(edit, control.strip), width, height)
            made.append(source)
            videos.append({"scene": source.name, "camera": "", "render": "sequencer", "output": str(out / f"{stem}.mp4")})
            roots.append(source)
            first, step = control.first, timeline_step
        if mask_strip is not None:  # the mask as it plays, over the same frames of the timeline
            mask_scene = _strip_scene(edit, mask_strip, width, height)
            made.append(mask_scene)
            videos.append({"scene": mask_scene.name, "camera": "", "render": "sequencer",
                           "output": str(out / f"{stem}_mask.mp4")})
            roots.append(mask_scene)
            # the mask plays on the timeline (the control may be a 3D scene's own frames): the same slot
            videos[-1].update(first=float(control.frame_start), step=timeline_step)
        spec = {"width": width, "height": height, "fps": float(model.fps), "frames": frames, "first": first,
                "step": step, "videos": videos}
        shot = {"scene": edit.name, "pointer": edit.as_pointer(), "model": model.id, "prompt": prompt, "frames": frames, "letters": how.letters,
                "frame_start": control.frame_start, "slot_frames": control.slot_frames, "channel": control.channel + 1,
                "label": label or f"{how.reading.label} · {prompt}"[:queueing.LABEL_CHARS],
                "extra": dict(extra_settings or {}), "plan": how.describe()}

        def queue(paths: list[Path]) -> None:
            _queue(shot, paths, how)

        return tasks.start(shot["label"], spec, roots, Path(tempfile.gettempdir()) / "bmd-control", queue)
    finally:
        for scene in made:  # written to the renderer's file (or rendered already): not the user's data
            bpy.data.scenes.remove(scene)


def _queue(shot: dict[str, Any], paths: list[Path], how: ControlPlan) -> None:
    """The control is rendered: queue the shot over its range (main thread)."""
    edit = bpy.data.scenes.get(shot["scene"])
    if edit is None or edit.as_pointer() != shot["pointer"]:  # deleted, or another file opened (saving is fine)
        raise QueueError(f"the scene '{shot['scene']}' is gone (another file was opened?): the shot was not queued",
                         hint="open the project again and press Generate with Control")
    props = edit.movie_director
    settings = props.to_settings(model_type=shot["model"], prompt=shot["prompt"], video_length=shot["frames"],
                                 video_guide=str(paths[0]), **shot["extra"])
    if len(paths) > 1:
        settings[MediaInput.VIDEO_MASK.value] = str(paths[1])
    settings["extra"] = {**settings.get("extra", {}), "video_prompt_type": shot["letters"]}
    model = queueing.known_models()[shot["model"]]
    settings["resolution"] = "x".join(map(str, _size(props, model)))
    record = queueing.queue_generation(edit, settings, channel=shot["channel"], frame_start=shot["frame_start"],
                                       slot_frames=shot["slot_frames"], label=shot["label"],
                                       placeholder_tags={"bmd_control": json.dumps(
                                           {"reading": how.reading.value, "letters": how.letters,
                                            "plan": shot["plan"], "control": str(paths[0])})})
    last_jobs.append(record.id)
    del last_jobs[:-20]


last_jobs: list[str] = []  # the jobs queued from controls, newest last (scripts and tests read it)


def _size(props, model: ModelInfo) -> tuple[int, int]:
    """The shot's resolution, on the model's grid: the panel's when the model offers it, else its default."""
    chosen = props.resolution
    resolution = chosen if chosen != properties.DEFAULT_RESOLUTION and chosen in model.resolutions \
        else model.default_resolution
    width, height = (int(v) for v in resolution.split("x"))
    return width, height


def _strip(edit: bpy.types.Scene, name: str):
    editor = edit.sequence_editor
    strip = compat.all_strips(editor).get(name) if editor is not None else None
    if strip is None:
        raise InvalidSettingsError("video_guide", f"the strip '{name}' is gone", hint="pick the control again")
    return strip


def _strip_scene(edit: bpy.types.Scene, strip, width: int, height: int) -> bpy.types.Scene:
    """A scene of its own holding a copy of `strip` at the same frames, alone, at the model's size: what
    the timeline shows of that strip, rendered frame for frame (trims, sub-frames and all)."""
    if strip.type not in ("MOVIE", "IMAGE"):
        raise InvalidSettingsError("video_mask", f"'{strip.name}' is a {strip.type.lower()} strip",
                                   hint="use a movie or image strip")
    scene = bpy.data.scenes.new(SOURCE_SCENE)
    scene.render.fps, scene.render.fps_base = edit.render.fps, edit.render.fps_base
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = width, height, 100
    scene.frame_start, scene.frame_end = int(strip.frame_final_start), int(strip.frame_final_end) - 1
    editor = scene.sequence_editor_create()
    collection = compat.strips(editor)
    if strip.type == "MOVIE":
        copy = collection.new_movie(name=strip.name, filepath=bpy.path.abspath(strip.filepath), channel=1,
                                    frame_start=int(strip.frame_start), fit_method="FIT")
    else:
        folder = Path(bpy.path.abspath(strip.directory))
        copy = collection.new_image(name=strip.name, filepath=str(folder / strip.elements[0].filename), channel=1,
                                    frame_start=int(strip.frame_start), fit_method="FIT")
        for element in list(strip.elements)[1:]:
            copy.elements.append(element.filename)
        if len(strip.elements) == 1:  # a still: as long as on the timeline
            copy.frame_final_duration = int(strip.frame_final_duration)
    copy.frame_offset_start, copy.frame_offset_end = strip.frame_offset_start, strip.frame_offset_end
    return scene
