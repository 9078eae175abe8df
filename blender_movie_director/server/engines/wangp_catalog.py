"""Wan2GP's model catalog as our ModelInfo: every model it publishes, described the way it describes it.

Input per model (shared/api.py at 12.60): a record of `list_model_metadata(include_availability=True)`
(family, family_label, main_output, outputs, media_inputs, capabilities, setting_values,
availability), `get_model_schema(id)["metadata"]` (fps, frames_minimum, frames_steps,
frames_maximum, sliding_window, description) and `get_default_settings(id)` (resolution,
video_length, steps, the prompt-type letters a task starts from). Older APIs lack some of these;
each value falls back the way Wan2GP's own code does.

What a model takes comes from `media_inputs`, `capabilities` and the allowed image prompt types;
what it needs comes from the letters its default settings turn on (Wan2GP's validate_task refuses a
task whose letters ask for media it was not given: "S" a start image, "I" reference images, "V" a
control video, "A" an audio track …). No model is recognised by its name, and a family this code has
never seen is offered under the label Wan2GP gives it. Only a model that makes none of video, image
or sound is left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...common.catalog import CATALOG
from ...common.enums import FAMILY_LABELS, RESOLUTIONS, MediaInput, ModelCategory, OutputKind, TaskKind
from ...common.model_info import ModelInfo
from ...common.settings import MAX_STEPS

log = logging.getLogger("bmd.wangp")

M = MediaInput
# shared/api.py's own fallbacks when a model def has no frame rule
_FRAMES_MINIMUM, _FRAMES_STEPS, _ONE_WINDOW = 5, 4, 97
_FAST_STEPS = 12  # distilled / lightning models run in a handful of steps
_SMALL_MODEL = re.compile(r"\b(1\.3B|2B|4B|5B)\b", re.I)
_STILLS = {M.IMAGE_START, M.IMAGE_END}
# our hand-picked order first, so "the first fast text-to-video model" is a sensible one
_PREFERRED = {m.id: i for i, m in enumerate(CATALOG)}

# media_inputs[kind][flag] and capabilities[name] → the input they mean (a video model's control and
# mask are videos, an image model's are images)
_MEDIA_FLAGS = {("image", "start"): M.IMAGE_START, ("image", "end"): M.IMAGE_END,
                ("image", "reference"): M.IMAGE_REFS, ("image", "single_reference"): M.IMAGE_REFS,
                ("image", "multiple_references"): M.IMAGE_REFS, ("video", "continue"): M.VIDEO_SOURCE,
                ("audio", "prompt"): M.AUDIO_GUIDE}
_CAPABILITIES = {"image_to_video": M.IMAGE_START, "reference_images": M.IMAGE_REFS,
                 "video_continuation": M.VIDEO_SOURCE, "audio_to_video": M.AUDIO_GUIDE}
# image_prompt_type letters (docs/SETTINGS.md): S start image, E end image, V a video to continue
_IMAGE_LETTERS = {"S": M.IMAGE_START, "E": M.IMAGE_END, "V": M.VIDEO_SOURCE}


def model_info_from(record: Mapping[str, Any], schema: Mapping[str, Any] | None,
                    defaults: Mapping[str, Any] | None) -> ModelInfo | None:
    """One Wan2GP model as ModelInfo, or None when it makes nothing we can place (no video, image or sound)."""
    model_type = str(record.get("model_type") or "")
    meta = {**record, **((schema or {}).get("metadata") or {})}
    model_def = (schema or {}).get("model_def") or {}  # 12.0x schemas carried the raw def instead
    defaults = defaults or {}
    output = _output(meta)
    if not model_type or output is None:
        return None
    family = str(meta.get("family") or "") or "other"
    accepted, required = _inputs(meta, defaults, output)
    common = {
        "id": model_type, "name": str(meta.get("name") or model_type), "family": family,
        "family_label": str(meta.get("family_label") or "") or FAMILY_LABELS.get(family, family),
        "output": output, "media_inputs": accepted, "required_inputs": required, **_control_choices(meta),
        "available": _available(meta), "description": _description(meta, model_def),
        "vram_gb": None,  # Wan2GP publishes no per-model VRAM figure (docs/MODELS.md: it depends on --profile)
    }
    if output is OutputKind.AUDIO:
        seconds = _number(defaults.get("duration_seconds"), 0.0, top=3600)
        return ModelInfo(category=ModelCategory.AUDIO, tasks=(TaskKind.TEXT_TO_AUDIO,), fps=0,
                         default_seconds=seconds,
                         **_defaults(defaults, frames=1), **common)
    if output is OutputKind.IMAGE:
        tasks = ((TaskKind.TEXT_TO_IMAGE,) if not required else ()) + (
            (TaskKind.IMAGE_TO_IMAGE,) if set(accepted) - {M.VIDEO_SOURCE, M.AUDIO_GUIDE} else ())
        return ModelInfo(category=ModelCategory.IMAGE, tasks=tasks, fps=1, **_defaults(defaults, frames=1),
                         **common)

    fps = _first(meta.get("fps"), model_def.get("fps"))
    if not isinstance(fps, (int, float)) or fps <= 0:
        log.warning("skipping %s: Wan2GP publishes no fps for it", model_type)
        return None
    minimum = int(_first(meta.get("frames_minimum"), model_def.get("frames_minimum"), _FRAMES_MINIMUM))
    step = max(1, int(_first(meta.get("frames_steps"), model_def.get("frames_steps"), _FRAMES_STEPS)))
    sliding = bool(_first(meta.get("sliding_window"), model_def.get("sliding_window"), False))
    maximum = _first(meta.get("frames_maximum"), defaults.get("sliding_window_size") if sliding else None)
    if not isinstance(maximum, int) or maximum < minimum:
        maximum = minimum + max(0, (_ONE_WINDOW - minimum) // step) * step
    probe = ModelInfo(category=ModelCategory.FAST, tasks=(), fps=round(fps), frames_minimum=minimum,
                      frames_step=step, frames_maximum=maximum, sliding_window=sliding, **common)
    values = _defaults(defaults, frames=_default_frames(defaults.get("video_length"), probe))
    return probe.model_copy(update={
        "category": _category(meta, required, values["default_steps"]),
        "tasks": _tasks(accepted, required),
        "audio_output": "audio" in (meta.get("outputs") or ()),
        **values,
    })


def sort_catalog(models: list[ModelInfo]) -> list[ModelInfo]:
    return sorted(models, key=lambda m: (_PREFERRED.get(m.id, len(_PREFERRED)), m.id))


def fallback_catalog(root: Path) -> list[ModelInfo]:
    """For a Wan2GP whose API has no catalog calls (before 12.00): our own table, for the ids it has."""
    return [m for m in CATALOG if (root / "defaults" / f"{m.id}.json").is_file()]


# ---------------------------------------------------------------- the pieces


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _output(meta: Mapping[str, Any]) -> OutputKind | None:
    main = meta.get("main_output") or ()
    if "video" in main:
        return OutputKind.VIDEO
    if "image" in main:
        return OutputKind.IMAGE
    if "audio" in main:
        return OutputKind.AUDIO
    return None


def _choices(choice_def: Any) -> list[str]:
    choices = choice_def.get("choices") if isinstance(choice_def, Mapping) else None
    return [str(c.get("value", "")) if isinstance(c, Mapping) else str(c) for c in choices or ()]


def _inputs(meta: Mapping[str, Any], defaults: Mapping[str, Any],
            output: OutputKind) -> tuple[tuple[MediaInput, ...], tuple[MediaInput, ...]]:
    """The inputs a model takes, and those it cannot do without, in MediaInput order."""
    media = meta.get("media_inputs") or {}
    capabilities = meta.get("capabilities") or {}
    values = meta.get("setting_values") or {}
    image_kind = output is OutputKind.IMAGE
    guide, mask = (M.IMAGE_GUIDE, M.IMAGE_MASK) if image_kind else (M.VIDEO_GUIDE, M.VIDEO_MASK)
    accepted: set[MediaInput] = {m for (kind, flag), m in _MEDIA_FLAGS.items() if (media.get(kind) or {}).get(flag)}
    accepted |= {m for name, m in _CAPABILITIES.items() if capabilities.get(name)}
    if (media.get("video") or {}).get("control") or capabilities.get("control_video"):
        accepted.add(M.VIDEO_GUIDE)
    if (media.get("video") or {}).get("mask"):
        accepted.add(M.VIDEO_MASK)
    if (media.get("image") or {}).get("control") or capabilities.get("control_image"):
        accepted.add(M.IMAGE_GUIDE)
    if (media.get("image") or {}).get("mask"):
        accepted.add(M.IMAGE_MASK)
    allowed = str((values.get("image_prompt_type") or {}).get("allowed") or "")
    accepted |= {m for letter, m in _IMAGE_LETTERS.items() if letter in allowed}

    # what validate_task will ask for: the letters the defaults turn on (plus those Wan2GP forces)
    video_values = values.get("video_prompt_type") or {}
    image_flags = str(defaults.get("image_prompt_type") or "")
    video_flags = str(defaults.get("video_prompt_type") or "") + str(video_values.get("forced") or "")
    audio_flags = str(defaults.get("audio_prompt_type") or "")
    required = {m for letter, m in _IMAGE_LETTERS.items() if letter in image_flags and letter in allowed}
    refs = _choices(video_values.get("image_ref_choices"))
    if "I" in video_flags or (refs and all("I" in value for value in refs)):  # no "none" choice: refs are a must
        required.add(M.IMAGE_REFS)
    if "V" in video_flags:
        required.add(guide)
        if "A" in video_flags and "U" not in video_flags:
            required.add(mask)
    sources = _choices((values.get("audio_prompt_type") or {}).get("sources"))
    if "A" in audio_flags or (sources and all("A" in value for value in sources)):
        required.add(M.AUDIO_GUIDE)
    accepted |= required
    order = list(MediaInput)
    return tuple(sorted(accepted, key=order.index)), tuple(sorted(required, key=order.index))


def _control_choices(meta: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """How it can read a control video (or image) and its mask: the video_prompt_type values Wan2GP
    offers for them (its guide preprocessings and custom choices that use a control, its mask choices)."""
    video = (meta.get("setting_values") or {}).get("video_prompt_type") or {}
    guides = _choices(video.get("guide_preprocessing")) + _choices(video.get("guide_custom_choices"))
    masks = _choices(video.get("mask_preprocessing"))
    return {"control_choices": tuple(dict.fromkeys(v for v in guides if "V" in v)),
            "mask_choices": tuple(dict.fromkeys(v for v in masks if v))}


def _tasks(accepted: tuple[MediaInput, ...], required: tuple[MediaInput, ...]) -> tuple[TaskKind, ...]:
    needs = set(required)
    tasks = [TaskKind.TEXT_TO_VIDEO] if not needs else []
    if M.IMAGE_START in accepted and needs <= {M.IMAGE_START}:
        tasks.append(TaskKind.IMAGE_TO_VIDEO)
    if {M.IMAGE_START, M.IMAGE_END} <= set(accepted) and needs <= _STILLS:
        tasks.append(TaskKind.FIRST_LAST_FRAME)
    if M.VIDEO_SOURCE in accepted:
        tasks.append(TaskKind.VIDEO_TO_VIDEO)
    if set(accepted) & {M.VIDEO_GUIDE, M.IMAGE_REFS, M.AUDIO_GUIDE}:
        tasks.append(TaskKind.CONTROL)
    return tuple(tasks)


def _category(meta: Mapping[str, Any], required: tuple[MediaInput, ...], steps: int) -> ModelCategory:
    # made for control or editing: it cannot run without more than a still (a control video, references,
    # a voice …); one that merely can take them (VACE, LTX-2 run from text alone) is judged by its speed
    if set(required) - _STILLS:
        return ModelCategory.CONTROL
    if M.IMAGE_START in required:
        return ModelCategory.IMAGE_TO_VIDEO
    if steps <= _FAST_STEPS or _SMALL_MODEL.search(str(meta.get("name") or "")):
        return ModelCategory.FAST
    return ModelCategory.HIGH_QUALITY


def _default_frames(value: Any, model: ModelInfo) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and model.is_valid_frame_count(value):
        return value
    return model.snap_frames(value if isinstance(value, (int, float)) and value > 0 else model.frames_maximum)


def _defaults(defaults: Mapping[str, Any], *, frames: int) -> dict[str, Any]:
    resolution = str(defaults.get("resolution") or "832x480")
    steps = defaults.get("num_inference_steps")
    return {
        "default_resolution": resolution,
        # a model's own default size is always offered, even when it is not in the common list
        "resolutions": RESOLUTIONS if resolution in RESOLUTIONS else (*RESOLUTIONS, resolution),
        "default_frames": frames,
        "default_steps": min(MAX_STEPS, steps) if isinstance(steps, int) and steps >= 1 else 30,
        "default_guidance_scale": _number(defaults.get("guidance_scale"), 5.0),
        "default_flow_shift": _number(defaults.get("flow_shift"), 3.0),
    }


def _number(value: Any, fallback: float, top: float = 100) -> float:
    return float(value) if _is_number(value) and 0 <= value <= top else fallback


def _available(meta: Mapping[str, Any]) -> bool:
    availability = meta.get("availability")
    if isinstance(availability, Mapping) and "available" in availability:
        return bool(availability["available"])
    return True  # this Wan2GP does not say (before 12.24): let it try, it downloads what it lacks


def _description(meta: Mapping[str, Any], model_def: Mapping[str, Any]) -> str:
    return str(_first(meta.get("description"), model_def.get("description"), ""))[:500]
