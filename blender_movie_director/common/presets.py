"""Style presets: a named look kept across shots.

A preset is a prompt template holding `{prompt}` (where the shot's own words go), a negative prompt
added to the shot's, and optional settings (steps, guidance, resolution) used where the shot does not
set its own. Applying one never changes what the user typed: the job gets the template filled in,
and its settings record which preset was used and the user's own words (`PresetUse`), so the shot
can be loaded back as it was written.

A useful set ships with the add-on (`BUILTIN_PRESETS`); user presets live in the add-on's
preferences and travel as JSON (`presets_to_json` / `presets_from_json`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import Field, ValidationError, field_validator

from .enums import RESOLUTIONS
from .errors import InvalidSettingsError
from .numbered_names import first_free
from .wire_model import WireModel

PLACEHOLDER = "{prompt}"
MAX_NAME_CHARS = 60
MAX_TEMPLATE_CHARS = 2_000
EXPORT_FORMAT = "blender_movie_director.presets"
EXPORT_VERSION = 1


class StylePreset(WireModel):
    """A named look. `steps`, `guidance` and `resolution` are used when the shot leaves them unset."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    prompt_template: str = Field(PLACEHOLDER, max_length=MAX_TEMPLATE_CHARS)
    negative_prompt: str = Field("", max_length=MAX_TEMPLATE_CHARS)
    steps: int | None = Field(None, ge=1, le=200)
    guidance: float | None = None
    resolution: str | None = None
    description: str = Field("", max_length=200)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("a preset needs a name")
        return value

    @field_validator("prompt_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if PLACEHOLDER not in value:
            raise ValueError(f"the prompt template must contain {PLACEHOLDER} (where the shot's own words go)")
        return value

    @field_validator("guidance")
    @classmethod
    def _guidance(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or not 0 <= value <= 100):
            raise ValueError(f"guidance {value} is out of range: use 0…100")
        return value

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in RESOLUTIONS:
            raise ValueError(f"{value} is not one of Wan2GP's resolutions (e.g. 832x480, 1280x720)")
        return value

    def fill(self, prompt: str) -> str:
        """The template with the shot's words in it (never str.format: a brace in a prompt is text)."""
        return self.prompt_template.replace(PLACEHOLDER, prompt.strip()).strip(" ,")

    def describe(self) -> str:
        parts = [self.prompt_template]
        if self.negative_prompt:
            parts.append(f"avoid: {self.negative_prompt}")
        extras = [f"{self.steps} steps" if self.steps else "", f"guidance {self.guidance:g}" if self.guidance is not None
                  else "", self.resolution or ""]
        if any(extras):
            parts.append(", ".join(e for e in extras if e))
        return " · ".join(parts)


class PresetUse(WireModel):
    """What a job records of the preset it was made with: its name and the user's own words."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    prompt: str = Field("", max_length=10_000)  # the shot's prompt before the template was applied
    negative_prompt: str = Field("", max_length=10_000)


def _preset(name: str, template: str, negative: str, description: str, **settings: Any) -> StylePreset:
    return StylePreset(name=name, prompt_template=template, negative_prompt=negative, description=description,
                       **settings)


BUILTIN_PRESETS: tuple[StylePreset, ...] = (
    _preset("Cinematic", "{prompt}, cinematic film still, anamorphic lens, shallow depth of field, dramatic "
            "lighting, rich colour grade", "cartoon, flat lighting, oversaturated, text, watermark",
            "Feature-film look: anamorphic, shallow focus, graded colour"),
    _preset("Documentary", "{prompt}, handheld documentary footage, natural light, realistic, 35mm",
            "cgi, stylized, glossy, text", "Handheld, natural light, real places"),
    _preset("Film Noir", "{prompt}, black and white film noir, high-contrast chiaroscuro lighting, hard shadows, "
            "1940s", "colour, bright, cheerful", "Black and white, hard shadows"),
    _preset("Vintage 16mm", "{prompt}, vintage 16mm film, heavy film grain, faded colours, light leaks, 1970s",
            "digital, clean, modern, sharp", "Grainy, faded home-movie film"),
    _preset("Anime", "{prompt}, anime style, cel shading, vibrant colours, clean line art",
            "photorealistic, 3d render, photo", "Cel-shaded animation"),
    _preset("Claymation", "{prompt}, stop-motion claymation, handmade plasticine figures, miniature set, soft "
            "studio light", "photorealistic, cgi", "Stop-motion plasticine"),
    _preset("Watercolour", "{prompt}, watercolour painting, soft washes of colour, paper texture",
            "photo, sharp digital edges", "Painted in watercolour"),
    _preset("Aerial Drone", "{prompt}, aerial drone shot, slow sweeping camera movement, wide landscape",
            "static camera, close-up", "Wide, moving aerial view"),
    _preset("Product Shot", "{prompt}, studio product shot, seamless backdrop, softbox lighting, slow turntable",
            "clutter, people, text", "Clean studio turntable"),
    _preset("Quick Draft", "{prompt}", "", "Fast, small previews: few steps, low resolution", steps=8,
            resolution="448x256"),
)
BUILTIN_NAMES = frozenset(p.name for p in BUILTIN_PRESETS)


def find_preset(name: str, user: Iterable[StylePreset] = ()) -> StylePreset | None:
    """A preset by name: the user's own first (a user preset may shadow a shipped one), then the shipped."""
    for preset in (*user, *BUILTIN_PRESETS):
        if preset.name == name:
            return preset
    return None


def apply_preset(preset: StylePreset, settings: Mapping[str, Any], *,
                 resolutions: Iterable[str] | None = None) -> dict[str, Any]:
    """The settings with the look applied: the template around the prompt, the preset's negative words after
    the shot's, its steps / guidance / resolution where the shot sets none (a resolution the model does not
    offer is left out), and `preset` recording the name and the user's own words."""
    result = dict(settings)
    prompt = str(result.get("prompt") or "")
    if not prompt.strip():
        raise InvalidSettingsError("prompt", "the prompt is empty: describe the shot you want",
                                   hint=f"the preset '{preset.name}' puts your words where its template says")
    negative = str(result.get("negative_prompt") or "")
    result["prompt"] = preset.fill(prompt)
    result["negative_prompt"] = ", ".join(p for p in (negative.strip(), preset.negative_prompt.strip()) if p)
    if preset.steps is not None and not result.get("num_inference_steps"):
        result["num_inference_steps"] = preset.steps
    if preset.guidance is not None and result.get("guidance_scale") is None:
        result["guidance_scale"] = preset.guidance
    offered = set(resolutions) if resolutions is not None else None
    if preset.resolution and not result.get("resolution") and "duration_seconds" not in result \
            and (offered is None or preset.resolution in offered):  # sound has no picture size
        result["resolution"] = preset.resolution
    result["preset"] = PresetUse(name=preset.name, prompt=prompt, negative_prompt=negative).model_dump()
    return result


def preset_from_shot(name: str, *, prompt: str = "", negative_prompt: str = "", steps: int | None = None,
                     guidance: float | None = None, resolution: str | None = None,
                     based_on: StylePreset | None = None) -> StylePreset:
    """A new preset from the current shot: its prompt is the template when it holds {prompt}, else the look
    it was made with (the active preset's template, or the prompt alone); the shot's negative words and the
    settings it sets become the preset's."""
    template = prompt if PLACEHOLDER in prompt else (based_on.prompt_template if based_on else PLACEHOLDER)
    negatives = [negative_prompt.strip(), based_on.negative_prompt.strip() if based_on else ""]
    try:
        return StylePreset(
            name=name, prompt_template=template, negative_prompt=", ".join(n for n in negatives if n),
            steps=steps or (based_on.steps if based_on else None),
            guidance=guidance if guidance is not None else (based_on.guidance if based_on else None),
            resolution=resolution or (based_on.resolution if based_on else None))
    except ValidationError as exc:
        raise preset_error(exc) from None


def preset_error(exc: ValidationError) -> InvalidSettingsError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "preset"
    return InvalidSettingsError(f"preset.{field}", str(first["msg"]).removeprefix("Value error, "))


def unique_name(wanted: str, taken: Iterable[str]) -> str:
    """`wanted`, or `wanted 2`, `wanted 3` … when that name is taken (shipped names included)."""
    names = set(taken) | BUILTIN_NAMES
    base = " ".join(wanted.split())[:MAX_NAME_CHARS - 4] or "Look"
    return first_free(base, names)


def presets_to_json(presets: Iterable[StylePreset]) -> str:
    return json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                       "presets": [p.model_dump(exclude_none=True) for p in presets]}, indent=2)


def presets_from_json(text: str) -> list[StylePreset]:
    """Presets from an exported file (or a bare list of them); raises InvalidSettingsError naming what is wrong."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidSettingsError("presets", f"the file is not JSON ({str(exc)[:80]})",
                                   hint="choose a file exported with Export Presets") from None
    items = data.get("presets") if isinstance(data, dict) else data
    if isinstance(data, dict) and data.get("format") not in (None, EXPORT_FORMAT):
        raise InvalidSettingsError("presets", f"the file holds {str(data.get('format'))[:60]}, not presets",
                                   hint="choose a file exported with Export Presets")
    if not isinstance(items, list):
        raise InvalidSettingsError("presets", "the file holds no list of presets",
                                   hint="choose a file exported with Export Presets")
    presets = []
    for number, item in enumerate(items, start=1):
        try:
            presets.append(StylePreset.model_validate(item))
        except ValidationError as exc:
            error = preset_error(exc)
            raise InvalidSettingsError(f"presets[{number}]", error.message) from None
    return presets
