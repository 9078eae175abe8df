"""Control videos: a 3D animatic (a scene strip, or a scene and camera) or any movie strip drives the
motion of a generated shot, read as pose, depth, edges or as it is, optionally masked.

One registration for all of it (ui/__init__.py calls register/unregister and registers `classes`)."""

from __future__ import annotations

from ..operators import control_shot
from . import panel, props, tasks

classes = (*props.classes, *control_shot.classes, *panel.classes)


def register() -> None:
    props.register()


def unregister() -> None:
    tasks.shutdown()
    props.unregister()
