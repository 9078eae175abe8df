"""Everything that imports bpy. register()/unregister() in dependency order, reversed on the way out."""

from __future__ import annotations

import bpy

from . import addon, operators, panels, preferences, properties, server_control, tick

_CLASSES = (*preferences.classes, *properties.classes, *operators.classes, *panels.classes)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    properties.register()
    tick.register()


def unregister() -> None:
    tick.unregister()
    server_control.stop()
    addon.shutdown_manager()
    tick.reset()
    properties.unregister()
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
