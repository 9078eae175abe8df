"""The scene's Director settings (scene.movie_director) and the lists that fill its menus."""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ..common.catalog import CATALOG
from ..common.model_info import ModelInfo

DEFAULT_RESOLUTION = "MODEL_DEFAULT"

# Blender keeps only pointers to enum strings: these lists must outlive each callback
_model_items: list[tuple[str, str, str]] = []
_models: dict[str, ModelInfo] = {}


FIRST_RUN_MODEL = "t2v_1.3B"  # first in the list, so the default: the fastest Wan model, a quick first clip


def refresh_model_items(models: tuple[ModelInfo, ...] | list[ModelInfo]) -> None:
    source = sorted(models or CATALOG, key=lambda m: m.id != FIRST_RUN_MODEL)  # stable: keeps the server's order
    _models.clear()
    _models.update({m.id: m for m in source})
    _model_items[:] = [
        (m.id, m.name, f"{m.category.value.replace('_', ' ')} · {m.frame_grid}"
                       + ("" if m.available else " · weights not downloaded"))
        for m in source
    ]


def model_info(model_id: str) -> ModelInfo | None:
    if not _models:
        refresh_model_items(())
    return _models.get(model_id)


def _model_enum(self, context) -> list[tuple[str, str, str]]:
    if not _model_items:
        refresh_model_items(())
    return _model_items


_resolution_items: list[tuple[str, str, str]] = []


def _resolution_enum(self, context) -> list[tuple[str, str, str]]:
    model = model_info(self.model)
    items = [(DEFAULT_RESOLUTION, f"Model default ({model.default_resolution if model else '?'})", "")]
    items += [(r, r, "") for r in (model.resolutions if model else ())]
    _resolution_items[:] = items
    return _resolution_items


class MOVIE_DIRECTOR_scene_settings(bpy.types.PropertyGroup):
    model: EnumProperty(name="Model", items=_model_enum, description="Wan2GP model (from the server's catalog)")
    prompt: StringProperty(name="Prompt", description="What the shot shows")
    negative_prompt: StringProperty(name="Negative", description="What to avoid")
    use_seconds: BoolProperty(name="Seconds", default=True, description="Give the duration in seconds")
    seconds: FloatProperty(name="Duration", default=2.0, min=0.05, max=60.0, unit="TIME_ABSOLUTE")
    frames: IntProperty(name="Frames", default=33, min=1, max=2000)
    resolution: EnumProperty(name="Resolution", items=_resolution_enum)
    steps: IntProperty(name="Steps", default=0, min=0, max=200, description="0: the model's default")
    random_seed: BoolProperty(name="Random Seed", default=True)
    seed: IntProperty(name="Seed", default=0, min=0)
    use_guidance: BoolProperty(name="Set Guidance", default=False)
    guidance: FloatProperty(name="Guidance", default=5.0, min=0.0, max=30.0)
    channel: IntProperty(name="Channel", default=2, min=1, max=128, description="Where clips go (free one above if taken)")
    show_advanced: BoolProperty(name="Advanced", default=False)

    def frame_count(self, model: ModelInfo | None) -> int:
        if model is None:
            return self.frames
        return model.frames_for_seconds(self.seconds) if self.use_seconds else self.frames

    def to_settings(self, **overrides: Any) -> dict[str, Any]:
        """The generation settings these fields describe (a plain dict; validated when queued)."""
        model = model_info(self.model)
        settings: dict[str, Any] = {
            "model_type": self.model, "prompt": self.prompt, "negative_prompt": self.negative_prompt,
            "video_length": self.frame_count(model), "seed": -1 if self.random_seed else self.seed,
        }
        if self.resolution != DEFAULT_RESOLUTION:
            settings["resolution"] = self.resolution
        if self.steps:
            settings["num_inference_steps"] = self.steps
        if self.use_guidance:
            settings["guidance_scale"] = self.guidance
        settings.update(overrides)
        return settings


classes = (MOVIE_DIRECTOR_scene_settings,)


def register() -> None:
    bpy.types.Scene.movie_director = bpy.props.PointerProperty(type=MOVIE_DIRECTOR_scene_settings)


def unregister() -> None:
    del bpy.types.Scene.movie_director
