"""Looks, cast, finishing and the clip library, registered as one piece (ui/__init__.py calls this).

Class order matters: property groups before what points at them, panels after their parents."""

from __future__ import annotations

import bpy

from . import cast, library, looks, loras, panels_look, presets
from .operators import finish

classes = (*looks.classes, *presets.classes, *loras.classes, *cast.classes, *finish.classes, *library.classes,
           *panels_look.classes)


def _redraw_when_answered() -> float:
    """The LoRA lists arrive on a thread of their own: the Director tab is redrawn when one does."""
    if _lists_changed():
        for window in getattr(bpy.context.window_manager, "windows", []):
            for area in window.screen.areas:
                if area.type == "SEQUENCE_EDITOR":
                    area.tag_redraw()
    return 0.5


def _lists_changed() -> bool:
    return bool(loras._lists) and loras.lists().changed()


def _first_library() -> None:
    """The add-on enabled with a project open (register() may not read bpy.data): its library, once."""
    if bpy.data.filepath:
        library.refresh()


def register() -> None:
    looks.register()
    library.register()
    finish.register_menu()
    if not bpy.app.timers.is_registered(_redraw_when_answered):
        bpy.app.timers.register(_redraw_when_answered, first_interval=0.5, persistent=True)
    if not bpy.app.timers.is_registered(_first_library):
        bpy.app.timers.register(_first_library, first_interval=0.0)


def unregister() -> None:
    for timer in (_redraw_when_answered, _first_library):
        if bpy.app.timers.is_registered(timer):
            bpy.app.timers.unregister(timer)
    finish.unregister_menu()
    library.unregister()
    looks.unregister()
    loras.forget()
