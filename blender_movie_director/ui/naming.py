"""Readable, unique strip names for the timeline (the rules are in common/strip_names.py)."""

from __future__ import annotations

import bpy

from ..common import strip_names
from . import compat


def taken(scene: bpy.types.Scene) -> set[str]:
    editor = scene.sequence_editor
    return {s.name for s in compat.all_strips(editor)} if editor else set()


def unique(scene: bpy.types.Scene, base: str) -> str:
    """A name no strip of the scene has, so that Blender keeps it as it is."""
    return strip_names.unique(base, taken(scene))


def clip(scene: bpy.types.Scene, prompt: str, *, take: int = 0, kind: str = "") -> str:
    return unique(scene, strip_names.clip_name(prompt, take=take, kind=kind))


def rename(strip, scene: bpy.types.Scene, base: str) -> str:
    """Give an existing strip a readable name (its own name does not count as taken)."""
    names = taken(scene) - {strip.name}
    strip.name = strip_names.unique(base, names)
    return strip.name
