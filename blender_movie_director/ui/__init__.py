"""Runs in Blender's Python (bpy): everything that imports bpy. register()/unregister() in dependency order,
reversed on the way out."""

from __future__ import annotations

import bpy

from ..common import hints
from . import (
    addon,
    control,
    operators,
    panels,
    panels_shots,
    preferences,
    properties,
    server_control,
    servers,
    shots,
    studio,
    tick,
    wan2gp_queue_ops,
)

_CLASSES = (*preferences.classes, *properties.classes, *shots.classes, *operators.classes, *panels.classes,
            *panels_shots.classes, *control.classes, *studio.classes,
            *wan2gp_queue_ops.classes)


def register() -> None:
    """All or nothing: when any step fails, what was registered is undone before the error propagates,
    so a failed enable leaves no half-registered add-on behind (Blender would refuse the next try)."""
    hints.set_audience("blender")  # hints name buttons and preferences, not scripts and flags
    undo: list = []
    try:
        for cls in _CLASSES:
            bpy.utils.register_class(cls)
            undo.append(lambda cls=cls: bpy.utils.unregister_class(cls))
        properties.register()
        undo.append(properties.unregister)
        shots.register()
        undo.append(shots.unregister)
        control.register()
        undo.append(control.unregister)
        studio.register()  # looks, cast, finishing, library
        undo.append(studio.unregister)
        tick.register()
        undo.append(tick.unregister)
    except BaseException:
        for step in reversed(undo):
            try:
                step()
            except Exception as exc:  # keep undoing the rest; the original error is the one to report
                print(f"Movie Director: could not undo a registration step: {exc!r}")
        raise


def unregister() -> None:
    tick.unregister()
    server_control.stop()
    addon.shutdown_manager()
    servers.shutdown()
    tick.reset()
    studio.unregister()
    control.unregister()
    shots.unregister()
    properties.unregister()
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
