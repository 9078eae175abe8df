"""Wan2GP's model catalog as our ModelInfo: what it publishes, mapped to what our UI can place.

Input per model (shared/api.py at 12.60): a record of `list_model_metadata(include_availability=True)`
(family, main_output, media_inputs, setting_values, availability), `get_model_schema(id)["metadata"]`
(fps, frames_minimum, frames_steps, frames_maximum, sliding_window) and `get_default_settings(id)`.
Older APIs lack some of these; each value falls back the way Wan2GP's own code does.

Only models that make a video or a still, of a family our enums name, are offered: audio models
have nothing to place on a timeline, and a family we cannot name is left out rather than mislabelled.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...common.catalog import CATALOG
from ...common.enums import RESOLUTIONS, MediaInput, ModelCategory, ModelFamily, OutputKind, TaskKind
from ...common.model_info import ModelInfo
from ...common.settings import MAX_STEPS

log = logging.getLogger("bmd.wangp")

# Wan2GP's handler families (query_model_family) we can name; the rest are skipped
_FAMILIES = {"wan": ModelFamily.WAN, "ltx2": ModelFamily.LTX_2, "ltxv": ModelFamily.LTX_VIDEO,
             "hunyuan": ModelFamily.HUNYUAN, "flux": ModelFamily.FLUX}
# shared/api.py's own fallbacks when a model def has no frame rule
_FRAMES_MINIMUM, _FRAMES_STEPS, _ONE_WINDOW = 5, 4, 97
_FAST_STEPS = 12  # distilled / lightning models run in a handful of steps
_SMALL_MODEL = re.compile(r"\b(1\.3B|2B|4B|5B)\b", re.I)
# our hand-picked order first, so "the first fast text-to-video model" is a sensible one
_PREFERRED = {m.id: i for i, m in enumerate(CATALOG)}


def model_info_from(record: Mapping[str, Any], schema: Mapping[str, Any] | None,
                    defaults: Mapping[str, Any] | None) -> ModelInfo | None:
    """One Wan2GP model as ModelInfo, or None when our UI cannot place what it makes."""
    model_type = str(record.get("model_type") or "")
    meta = {**record, **((schema or {}).get("metadata") or {})}
    model_def = (schema or {}).get("model_def") or {}  # 12.0x schemas carried the raw def instead
    defaults = defaults or {}
    family = _family(meta)
    output = _output(meta)
    if not model_type or family is None or output is None:
        return None
    if output is OutputKind.IMAGE:
        return ModelInfo(
            id=model_type, name=str(meta.get("name") or model_type), family=family, category=ModelCategory.IMAGE,
            tasks=(TaskKind.TEXT_TO_IMAGE,), output=output, fps=1, **_defaults(defaults, frames=1),
            available=_available(meta), description=_description(meta, model_def))

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
    media, required, text_ok = _media(meta)
    tasks = _tasks(media, text_ok)
    if not tasks:
        return None
    probe = ModelInfo(id=model_type, name="", family=family, category=ModelCategory.FAST, tasks=tasks,
                      fps=round(fps), frames_minimum=minimum, frames_step=step, frames_maximum=maximum,
                      sliding_window=sliding)
    values = _defaults(defaults, frames=_default_frames(defaults.get("video_length"), probe))
    return probe.model_copy(update={
        "name": str(meta.get("name") or model_type),
        "category": _category(family, meta, media, text_ok, values["default_steps"]),
        "audio_output": "audio" in (meta.get("outputs") or ()),
        "media_inputs": media, "required_inputs": required,
        "available": _available(meta), "description": _description(meta, model_def),
        "vram_gb": None,  # Wan2GP publishes no per-model VRAM figure (docs/MODELS.md: it depends on --profile)
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


def _family(meta: Mapping[str, Any]) -> ModelFamily | None:
    family = _FAMILIES.get(str(meta.get("family") or ""))
    base = str(meta.get("base_model_type") or meta.get("model_type") or "")
    if family is ModelFamily.WAN and base.startswith("vace"):
        return ModelFamily.VACE
    if family is ModelFamily.WAN and base.startswith("ti2v"):
        return ModelFamily.WAN_2_2_5B
    return family


def _output(meta: Mapping[str, Any]) -> OutputKind | None:
    main = meta.get("main_output") or ()
    if "video" in main:
        return OutputKind.VIDEO
    if "image" in main:
        return OutputKind.IMAGE
    return None


def _media(meta: Mapping[str, Any]) -> tuple[tuple[MediaInput, ...], tuple[MediaInput, ...], bool]:
    """Accepted inputs, required inputs, and whether a prompt alone is enough."""
    image = (meta.get("media_inputs") or {}).get("image") or {}
    video = (meta.get("media_inputs") or {}).get("video") or {}
    accepted = [m for m, on in ((MediaInput.IMAGE_START, image.get("start")), (MediaInput.IMAGE_END, image.get("end")),
                                (MediaInput.VIDEO_SOURCE, video.get("continue")),
                                (MediaInput.VIDEO_GUIDE, video.get("control"))) if on]
    values = meta.get("setting_values") or {}
    allowed = str(((values.get("image_prompt_type") or {}).get("allowed")) or "")
    forced = str(((values.get("video_prompt_type") or {}).get("forced")) or "")
    # image_prompt_type letters: "T" text only, "S" start image, "V" continue a video (docs/SETTINGS.md)
    text_ok = allowed == "" or "T" in allowed
    required: list[MediaInput] = []
    if not text_ok and "S" in allowed and MediaInput.IMAGE_START in accepted:
        required.append(MediaInput.IMAGE_START)
    if "V" in forced and MediaInput.VIDEO_GUIDE in accepted:  # a control video the model cannot do without
        required.append(MediaInput.VIDEO_GUIDE)
        text_ok = False
    return tuple(accepted), tuple(required), text_ok


def _tasks(media: tuple[MediaInput, ...], text_ok: bool) -> tuple[TaskKind, ...]:
    tasks = [TaskKind.TEXT_TO_VIDEO] if text_ok else []
    if MediaInput.IMAGE_START in media:
        tasks.append(TaskKind.IMAGE_TO_VIDEO)
        if MediaInput.IMAGE_END in media:
            tasks.append(TaskKind.FIRST_LAST_FRAME)
    if MediaInput.VIDEO_SOURCE in media:
        tasks.append(TaskKind.VIDEO_TO_VIDEO)
    if MediaInput.VIDEO_GUIDE in media:
        tasks.append(TaskKind.CONTROL)
    return tuple(tasks)


def _category(family: ModelFamily, meta: Mapping[str, Any], media: tuple[MediaInput, ...], text_ok: bool,
              steps: int) -> ModelCategory:
    if family is ModelFamily.VACE or (not text_ok and MediaInput.VIDEO_GUIDE in media):
        return ModelCategory.CONTROL
    if not text_ok and MediaInput.IMAGE_START in media:
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


def _number(value: Any, fallback: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 100 \
        else fallback


def _available(meta: Mapping[str, Any]) -> bool:
    availability = meta.get("availability")
    if isinstance(availability, Mapping) and "available" in availability:
        return bool(availability["available"])
    return True  # this Wan2GP does not say (before 12.24): let it try, it downloads what it lacks


def _description(meta: Mapping[str, Any], model_def: Mapping[str, Any]) -> str:
    return str(_first(meta.get("description"), model_def.get("description"), ""))[:500]
