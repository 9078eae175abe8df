"""The scene's Director settings (scene.movie_director) and the lists that fill its menus.

The model picker: "What" (ModelGroup: text to video, image to video, first/last frame, control/edit,
images, audio) narrows ~190 Wan2GP models to those that do it; the Model field searches them by id,
name or family as you type (a StringProperty with a search callback: Blender 4.2–5.0), each shown with
its family, what it needs and whether its weights are downloaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ..common.enums import ModelGroup, OutputKind

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..common.model_info import ModelInfo

DEFAULT_RESOLUTION = "MODEL_DEFAULT"

_models: dict[str, ModelInfo] = {}  # the server's catalog (the built-in one before connecting)


FIRST_RUN_MODEL = "t2v_1.3B"  # first in the list, so the default: the fastest Wan model, a quick first clip


def refresh_model_items(models: tuple[ModelInfo, ...] | list[ModelInfo]) -> None:
    from ..common.catalog import CATALOG  # built-in models: pydantic, on first use

    source = sorted(models or CATALOG, key=lambda m: m.id != FIRST_RUN_MODEL)  # stable: keeps the server's order
    _models.clear()
    _models.update({m.id: m for m in source})


def describe_model(model: ModelInfo) -> str:
    """One line: family, what it needs, its frames (or stills, or sound), whether its weights are there."""
    needs = ", ".join(i.label for i in model.required_inputs)
    return " · ".join(part for part in (
        model.family_name, f"needs {needs}" if needs else "", model.frame_grid,
        "downloaded" if model.available else "weights not downloaded") if part)


def models_in(group: ModelGroup) -> list[ModelInfo]:
    """The models that do this, downloaded ones first (the server's order otherwise)."""
    if not _models:
        refresh_model_items(())
    members = [m for m in _models.values() if group in m.groups]
    return sorted(members, key=lambda m: not m.available)


def search_models(group: ModelGroup, text: str) -> list[tuple[str, str]]:
    """(id, what it is) for the models of `group` whose id, name or family contains every word typed."""
    words = text.lower().split()
    found = []
    for model in models_in(group):
        haystack = f"{model.id} {model.name} {model.family} {model.family_name}".lower()
        if all(word in haystack for word in words):
            found.append((model.id, f"{model.name} · {describe_model(model)}"))
    return found


def _search_model(self, context, edit_text: str) -> list[tuple[str, str]]:
    return search_models(ModelGroup(self.model_group), edit_text)


def _group_changed(self, context) -> None:
    """A model that does not do the new "What" makes way for the first one that does."""
    group = ModelGroup(self.model_group)
    current = model_info(self.model)
    if current is None or group not in current.groups:
        members = models_in(group)
        if members:
            self.model = members[0].id


_GROUP_ITEMS = [(g.value, g.label, f"Models for {g.label.lower()}") for g in ModelGroup]


def model_info(model_id: str) -> ModelInfo | None:
    if not _models:
        refresh_model_items(())
    return _models.get(model_id)


_resolution_items: list[tuple[str, str, str]] = []


def _resolution_enum(self, context) -> list[tuple[str, str, str]]:
    model = model_info(self.model)
    items = [(DEFAULT_RESOLUTION, f"Model default ({model.default_resolution if model else '?'})", "")]
    items += [(r, r, "") for r in (model.resolutions if model else ())]
    _resolution_items[:] = items
    return _resolution_items


class MOVIE_DIRECTOR_scene_settings(bpy.types.PropertyGroup):
    model_group: EnumProperty(name="What", items=_GROUP_ITEMS, default=ModelGroup.TEXT_TO_VIDEO.value,
                              update=_group_changed, description="What the model should do: the Model list "
                              "offers only the models that do it")
    model: StringProperty(name="Model", default=FIRST_RUN_MODEL, search=_search_model, search_options=set(),
                          description="Wan2GP model (from the server's catalog): type to search by id, name or "
                          "family")
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

    def to_settings(self, *, cast_members: list | None = None, **overrides: Any) -> dict[str, Any]:
        """The generation settings these fields describe (a plain dict; validated when queued). `cast_members`:
        a Shots-list shot's own cast (None: the Cast panel's In Shot)."""
        model = model_info(self.model)
        settings: dict[str, Any] = {
            "model_type": self.model, "prompt": self.prompt, "negative_prompt": self.negative_prompt,
            "video_length": self.frame_count(model), "seed": -1 if self.random_seed else self.seed,
        }
        if model is not None and model.output is OutputKind.AUDIO:  # sound: seconds, no frames, no size
            del settings["video_length"]
            settings["duration_seconds"] = self.seconds if self.use_seconds else model.default_seconds
        elif self.resolution != DEFAULT_RESOLUTION:
            settings["resolution"] = self.resolution
        if self.steps:
            settings["num_inference_steps"] = self.steps
        if self.use_guidance:
            settings["guidance_scale"] = self.guidance
        settings.update(overrides)
        from . import looks  # the look of the shot: preset, LoRAs, cast (ui/looks.py)

        return looks.apply_look(self.id_data, settings, members=cast_members)


classes = (MOVIE_DIRECTOR_scene_settings,)


def register() -> None:
    bpy.types.Scene.movie_director = bpy.props.PointerProperty(type=MOVIE_DIRECTOR_scene_settings)


def unregister() -> None:
    del bpy.types.Scene.movie_director
