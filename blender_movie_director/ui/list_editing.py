"""Editing the Look panel's lists (cast members, their reference images, LoRA picks) the same way:
one operator shape removes the active item, and the item before it becomes the active one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bpy


def remove_active(owner: Any, collection: str, index: str) -> None:
    """Remove owner.<collection>[owner.<index>] if there is one; the item before it becomes active."""
    items, at = getattr(owner, collection), getattr(owner, index)
    if 0 <= at < len(items):
        items.remove(at)
        setattr(owner, index, max(0, at - 1))


def remove_active_operator(class_name: str, idname: str, label: str, doc: str,
                           owner: Callable[[Any], Any], collection: str, index: str) -> type:
    """An operator removing the active item of `owner(context)`'s list (nothing when owner is None)."""

    def execute(self, context) -> set[str]:
        holder = owner(context)
        if holder is not None:
            remove_active(holder, collection, index)
        return {"FINISHED"}

    return type(class_name, (bpy.types.Operator,), {
        "__doc__": doc, "bl_idname": idname, "bl_label": label, "bl_options": {"REGISTER", "UNDO", "INTERNAL"},
        "execute": execute})
