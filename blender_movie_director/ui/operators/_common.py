"""What operators share: turning typed errors into a report, and the playhead target."""

from __future__ import annotations

import bpy

from ...common.errors import DirectorError


def report_error(operator: bpy.types.Operator, error: DirectorError) -> set[str]:
    operator.report({"ERROR"}, str(error))
    return {"CANCELLED"}
