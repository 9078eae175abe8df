"""Generate with Control: the active scene strip (a 3D animatic) or movie strip drives the shot's motion,
read as the Control panel says (pose, depth, edges, as is), masked by the Mask Strip if one is set."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from ...common.errors import DirectorError
from .. import compat
from ..control import shot, tasks
from ._common import SceneOperator, report_error


class MOVIE_DIRECTOR_OT_control_shot(SceneOperator, bpy.types.Operator):
    """Render the active scene strip (or movie strip, or the Control panel's scene) as the control video of a
    shot over its range, in the background, then generate the shot with the Shot panel's model and prompt"""

    bl_idname = "movie_director.control_shot"
    bl_label = "Generate with Control"

    def execute(self, context: bpy.types.Context) -> set[str]:
        edit = context.scene
        props = edit.movie_director_control
        strip = compat.active_strip(context)
        try:
            if strip is not None and strip.type in ("SCENE", "MOVIE", "IMAGE"):
                control = shot.control_of(strip)
            elif props.scene is not None:
                control = shot.from_scene(edit, props.scene, props.camera, edit.frame_current,
                                          edit.movie_director.channel)
            else:
                self.report({"ERROR"}, "Make a scene or movie strip active, or pick a 3D scene in the Control panel")
                return {"CANCELLED"}
            mask = None
            if props.mask_strip:
                editor = edit.sequence_editor
                mask = compat.all_strips(editor).get(props.mask_strip) if editor else None
                if mask is None:
                    self.report({"ERROR"}, f"No strip named '{props.mask_strip}' for the mask")
                    return {"CANCELLED"}
            task = shot.queue_control_shot(edit, control, props.reading, mask_strip=mask)
        except DirectorError as error:
            return report_error(self, error)
        if task.state == "failed":
            self.report({"ERROR"}, f"The control did not render: {task.error}")
            return {"CANCELLED"}
        where = "in the background" if task.in_background else "here"
        self.report({"INFO"}, f"Rendering the control {where}; the shot is queued when it is done"
                    if task.running else "Control rendered; the shot is queued")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_cancel_control(bpy.types.Operator):
    """Stop rendering this control video (its shot is not queued)"""

    bl_idname = "movie_director.cancel_control"
    bl_label = "Cancel Control Render"
    bl_options = {"INTERNAL"}

    task_id: StringProperty(options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> set[str]:
        tasks.cancel(self.task_id)
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_forget_control(bpy.types.Operator):
    """Take this ended control render off the list"""

    bl_idname = "movie_director.forget_control"
    bl_label = "Remove"
    bl_options = {"INTERNAL"}

    task_id: StringProperty(options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> set[str]:
        tasks.forget(self.task_id)
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_control_shot, MOVIE_DIRECTOR_OT_cancel_control, MOVIE_DIRECTOR_OT_forget_control)
