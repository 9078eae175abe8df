"""Blender Movie Director: AI video generation (Wan2GP) inside Blender's Video Sequence Editor.

Only register()/unregister() live here; bpy is imported lazily so that the backend (client,
server, launcher) works in any Python, with or without Blender.
"""

from .common.version import __version__

__all__ = ["__version__", "register", "unregister"]


def register() -> None:
    from . import ui

    ui.register()


def unregister() -> None:
    from . import ui

    ui.unregister()
