"""The look of the current shot, kept in the .blend (scene.movie_director_look): a style preset, LoRAs
picked from the server's list for the Shot panel's model with their multipliers, and the cast — each
member a name, reference images and an optional LoRA — with who is in this shot.

`apply_look(scene, settings)` is how a shot's settings get them (the Shot panel's to_settings calls
it): the preset's template around the prompt (the user's text itself never changes), the LoRAs, and
the reference images of the cast members in the shot. A model that takes no reference images refuses
the cast when the shot is queued, saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
from bpy.props import BoolProperty, CollectionProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

from ..common.enums import MediaInput, OutputKind
from ..common.lora_choice import MAX_MULTIPLIER, MIN_MULTIPLIER, lora_settings
from . import presets, queueing


def _search_preset(self, context, edit_text: str) -> list[tuple[str, str]]:
    words = edit_text.lower().split()
    return [(p.name, p.description or p.prompt_template[:80]) for p in presets.all_presets()
            if all(w in f"{p.name} {p.description} {p.prompt_template}".lower() for w in words)]


def _search_lora(self, context, edit_text: str) -> list[str]:
    from . import loras

    return [name for name in loras.known(context.scene) if edit_text.lower() in name.lower()]


class MOVIE_DIRECTOR_lora_pick(bpy.types.PropertyGroup):
    name: StringProperty(name="LoRA", search=_search_lora, search_options=set(),
                         description="A LoRA file of the model, as the server lists it")
    multiplier: FloatProperty(name="Multiplier", default=1.0, min=MIN_MULTIPLIER, max=MAX_MULTIPLIER, soft_min=0.0,
                              soft_max=2.0, step=5, description="How strongly the LoRA acts (1: fully)")
    use: BoolProperty(name="Use", default=True, description="Use this LoRA in the shot")


class MOVIE_DIRECTOR_cast_image(bpy.types.PropertyGroup):
    filepath: StringProperty(name="Image", subtype="FILE_PATH", description="A reference image of this member")


class MOVIE_DIRECTOR_cast_member(bpy.types.PropertyGroup):
    name: StringProperty(name="Name", default="Character", description="Who (or what) this is")
    images: CollectionProperty(type=MOVIE_DIRECTOR_cast_image)
    image_index: IntProperty(name="Image")
    lora: StringProperty(name="LoRA", search=_search_lora, search_options=set(),
                         description="A LoRA trained on this member (optional)")
    lora_multiplier: FloatProperty(name="Multiplier", default=1.0, min=MIN_MULTIPLIER, max=MAX_MULTIPLIER,
                                   soft_min=0.0, soft_max=2.0, step=5)
    in_shot: BoolProperty(name="In Shot", default=False,
                          description="Show this member to the model (a model that takes reference images)")


class MOVIE_DIRECTOR_look(bpy.types.PropertyGroup):
    preset: StringProperty(name="Look", search=_search_preset, search_options=set(),
                           description="A style preset: its template goes around the prompt (empty: none)")
    loras: CollectionProperty(type=MOVIE_DIRECTOR_lora_pick)
    lora_index: IntProperty(name="LoRA")
    lora_model: StringProperty(name="LoRAs For", description="The model the LoRAs were picked for")
    cast: CollectionProperty(type=MOVIE_DIRECTOR_cast_member)
    cast_index: IntProperty(name="Member")


classes = (MOVIE_DIRECTOR_lora_pick, MOVIE_DIRECTOR_cast_image, MOVIE_DIRECTOR_cast_member, MOVIE_DIRECTOR_look)


def register() -> None:
    bpy.types.Scene.movie_director_look = PointerProperty(type=MOVIE_DIRECTOR_look)


def unregister() -> None:
    del bpy.types.Scene.movie_director_look


# -- what a shot gets


def look_of(scene: bpy.types.Scene) -> MOVIE_DIRECTOR_look:
    return scene.movie_director_look


def cast_in_shot(scene: bpy.types.Scene) -> list:
    return [m for m in look_of(scene).cast if m.in_shot]


def reference_images(scene: bpy.types.Scene, members: list | None = None) -> list[Path]:
    """The reference images of the cast in the shot (`members`, else the Shot panel's In Shot), member by
    member, each file once."""
    from ..common.settings import MAX_REFERENCE_IMAGES

    found: list[Path] = []
    for member in cast_in_shot(scene) if members is None else members:
        for image in member.images:
            if image.filepath.strip():
                path = Path(bpy.path.abspath(image.filepath))
                if path not in found:
                    found.append(path)
    return found[:MAX_REFERENCE_IMAGES]


def loras_for(scene: bpy.types.Scene, model_id: str, members: list | None = None) -> list[tuple[str, float]]:
    """(name, multiplier) of the LoRAs in use for this model: the panel's picks (when picked for it) and the
    LoRAs of the cast in the shot (`members`, else the Shot panel's In Shot)."""
    look = look_of(scene)
    chosen: list[tuple[str, float]] = []
    if look.lora_model == model_id:
        chosen += [(p.name.strip(), p.multiplier) for p in look.loras if p.use and p.name.strip()]
    cast = cast_in_shot(scene) if members is None else members
    chosen += [(m.lora.strip(), m.lora_multiplier) for m in cast if m.lora.strip()]
    return chosen


def apply_look(scene: bpy.types.Scene, settings: dict[str, Any], model: Any = None,
               members: list | None = None) -> dict[str, Any]:
    """The settings with the scene's look: preset, LoRAs and cast (`members`: a Shots-list shot's own cast;
    None: the Shot panel's In Shot). Never raises: what does not fit is left for the queue's checks to
    refuse with a message (an empty prompt, a model without reference images)."""
    from ..common.presets import apply_preset
    from ..common.settings import MAX_REFERENCE_IMAGES

    look = look_of(scene)
    result = dict(settings)
    model_id = str(result.get("model_type") or "")
    if model is None:
        model = queueing.known_models().get(model_id)  # the server's catalog once connected, else the built-in one
    sound = model is not None and model.output is OutputKind.AUDIO
    preset = presets.find(look.preset) if look.preset.strip() else None
    if preset is not None and not sound and str(result.get("prompt") or "").strip() and "preset" not in result:
        result = apply_preset(preset, result, resolutions=model.resolutions if model is not None else None)
    chosen = loras_for(scene, model_id, members)
    if chosen and "activated_loras" not in result:
        result.update(lora_settings(chosen))
    own_cast = members is not None
    members = cast_in_shot(scene) if members is None else members
    if members and "cast" not in result:
        takes_refs = model is not None and model.accepts(MediaInput.IMAGE_REFS)
        panel_model = getattr(scene, "movie_director", None) is not None and scene.movie_director.model == model_id
        if takes_refs or panel_model or own_cast:  # another model (extend, first+last) without references: left out
            images = [Path(result["image_refs"])] if result.get("image_refs") else []
            images += [p for p in reference_images(scene, members) if p not in images]
            result["cast"] = [m.name.strip() or "Unnamed" for m in members]
            if images:
                result["image_refs"] = str(images[0])
                result["image_refs_more"] = [str(p) for p in images[1:MAX_REFERENCE_IMAGES]]
    return result


def problems(scene: bpy.types.Scene, model: Any) -> list[str]:
    """What the Look and Cast panels warn about before anything is queued."""
    look = look_of(scene)
    said: list[str] = []
    if look.preset.strip() and presets.find(look.preset) is None:
        said.append(f"No preset named '{look.preset}': pick one from the list")
    if model is None:
        return said
    if look.lora_model and look.lora_model != model.id and any(p.use for p in look.loras):
        said.append(f"The LoRAs were picked for {look.lora_model}: they are not used with {model.id}")
    members = cast_in_shot(scene)
    if members and not model.accepts(MediaInput.IMAGE_REFS):
        said.append(f"{model.id} takes no reference images: the cast ({', '.join(m.name for m in members)}) "
                    "cannot be shown to it. Pick a model that takes reference images (Lynx, Phantom, Stand-In, "
                    "VACE, LTX-2 …) or take them out of the shot")
    elif members and not reference_images(scene):
        said.append("The cast in the shot has no reference images yet")
    missing = [p.name for p in reference_images(scene) if not p.is_file()]
    if missing:
        said.append(f"Missing reference image(s): {', '.join(missing[:3])}")
    return said
