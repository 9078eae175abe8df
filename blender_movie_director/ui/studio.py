"""Looks, cast, finishing and the clip library, registered as one piece (ui/__init__.py calls this).

Class order matters: property groups before what points at them, panels after their parents."""

from __future__ import annotations

from . import cast, library, looks, loras, panels_look, presets
from .operators import finish

classes = (*looks.classes, *presets.classes, *loras.classes, *cast.classes, *finish.classes, *library.classes,
           *panels_look.classes)


def register() -> None:
    looks.register()
    library.register()
    finish.register_menu()


def unregister() -> None:
    finish.unregister_menu()
    library.unregister()
    looks.unregister()
    loras.forget()
