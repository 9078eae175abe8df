"""LoRAs as a user writes them: `name:0.7` (the multiplier after the last colon; 1 when there is none).

Wan2GP takes `activated_loras` (file names as list_loras gives them) and `loras_multipliers` (one
number per LoRA); GenerationSettings checks each multiplier's range and the client checks every name
against the server's list before anything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .errors import InvalidSettingsError

MIN_MULTIPLIER, MAX_MULTIPLIER = -10.0, 10.0  # GenerationSettings' range (common/settings.py)


def parse_lora(text: str) -> tuple[str, float]:
    """'film_grain.safetensors:0.7' → ('film_grain.safetensors', 0.7); 'x.safetensors' → (…, 1.0)."""
    name, sep, weight = text.strip().rpartition(":")
    if not sep:
        name, weight = text.strip(), "1"
    name = name.strip()
    try:
        value = float(weight)
    except ValueError:
        raise InvalidSettingsError("loras_multipliers", f"{weight!r} is not a multiplier for {name or text!r}",
                                   hint="write a LoRA as name:0.7 (a number after the colon)") from None
    if not name:
        raise InvalidSettingsError("activated_loras", f"{text!r} names no LoRA", hint="write a LoRA as name:0.7")
    if not math.isfinite(value) or not MIN_MULTIPLIER <= value <= MAX_MULTIPLIER:
        raise InvalidSettingsError("loras_multipliers", f"{value:g} for {name} is out of range: use "
                                   f"{MIN_MULTIPLIER:g}…{MAX_MULTIPLIER:g}")
    return name, value


def lora_settings(choices: Iterable[tuple[str, float]]) -> dict[str, list]:
    """activated_loras and loras_multipliers for these (name, multiplier) pairs (a name once: the last wins)."""
    picked: dict[str, float] = {}
    for name, weight in choices:
        picked.pop(name, None)
        picked[name] = weight
    if not picked:
        return {}
    return {"activated_loras": list(picked), "loras_multipliers": list(picked.values())}
