"""What operators share: turning typed errors into a report, and the shape of a scene operator."""

from __future__ import annotations

import bpy

from ...common.errors import DirectorError


def report_error(operator: bpy.types.Operator, error: DirectorError) -> set[str]:
    operator.report({"ERROR"}, str(error))
    return {"CANCELLED"}


class SceneOperator:
    """Mixed into operators that queue work for the current scene: undoable-free, need a scene."""

    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return context.scene is not None
