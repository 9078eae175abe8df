"""What a placed clip inherits from its placeholder, and where it fits.

A placeholder carries the shot's intent besides its slot: which take of which clip it is
(`bmd_take_group`, `bmd_take`), which shot it renders (`bmd_shot`). The clip that replaces it
keeps these, so that Keep, the Shots list and Extend find their clips again.
"""

from __future__ import annotations

from typing import Any

import bpy

from ..common import strip_names
from . import naming

INHERITED = ("bmd_take_group", "bmd_take", "bmd_shot", "bmd_extends")


def placeholder_extras(placeholder) -> dict[str, Any]:
    if placeholder is None:
        return {}
    return {key: placeholder[key] for key in INHERITED if key in placeholder}


def tag(strip, extras: dict[str, Any], slot_frames: int) -> None:
    for key, value in extras.items():
        strip[key] = value
    strip["bmd_slot_frames"] = slot_frames


def clip_name(scene: bpy.types.Scene, prompt: str, extras: dict[str, Any], kind: str = "") -> str:
    return naming.clip(scene, prompt, take=int(extras.get("bmd_take", 0) or 0), kind=kind)


def placeholder_name(scene: bpy.types.Scene, prompt: str, take: int = 0) -> str:
    return naming.unique(scene, "⏳ " + strip_names.clip_name(prompt, take=take))
