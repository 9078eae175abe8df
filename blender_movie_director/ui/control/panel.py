"""The Director tab's Control panel (what drives the shot's motion, and how the model reads it) and the
control renders under Jobs (progress, Cancel)."""

from __future__ import annotations

import bpy

from ...common.control import plan, readings_for, takes_control
from ...common.errors import DirectorError
from .. import compat, properties, text_block
from ..operators import control_shot
from . import tasks


class _DirectorPanel:
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Director"


def _source_line(context) -> tuple[str, bool, bool]:
    """(what drives the shot, whether it is a 3D scene, whether there is one)"""
    strip = compat.active_strip(context) if context.scene else None
    if strip is not None and strip.type == "SCENE":
        camera = getattr(strip, "scene_camera", None) or (strip.scene.camera if strip.scene else None)
        return (f"Scene strip '{strip.name}' through {camera.name if camera else 'no camera'}, "
                f"frames {strip.frame_final_start}–{strip.frame_final_end - 1}", True, True)
    if strip is not None and strip.type in ("MOVIE", "IMAGE"):
        return (f"{strip.type.capitalize()} strip '{strip.name}', frames {strip.frame_final_start}–"
                f"{strip.frame_final_end - 1}", False, True)
    props = context.scene.movie_director_control
    if props.scene is not None:
        return f"Scene '{props.scene.name}' (all its frames) at the playhead", True, True
    return "Make a scene or movie strip active, or pick a 3D scene below", True, False


class MOVIE_DIRECTOR_PT_control(_DirectorPanel, bpy.types.Panel):
    bl_label = "Control"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        props = context.scene.movie_director_control
        model = properties.model_info(context.scene.movie_director.model)
        if model is None or not takes_control(model):
            name = model.id if model else context.scene.movie_director.model
            text_block.draw(layout, f"{name} takes no control video: pick a Control / Edit model "
                                    "(VACE, LTX-2, Wan Text2video …) in the Shot panel", icon="INFO")
            return
        layout.row().prop(props, "reading", expand=True)
        offered = readings_for(model)
        text, from_scene, has_source = _source_line(context)
        text_block.draw(layout, text, icon="SCENE_DATA" if from_scene else "FILE_MOVIE")
        col = layout.column(align=True)
        col.prop(props, "scene")
        col.prop(props, "camera")
        editor = context.scene.sequence_editor
        if editor is not None:
            layout.prop_search(props, "mask_strip", editor, "strips_all" if hasattr(editor, "strips_all")
                               else "sequences_all", icon="MOD_MASK")
        try:
            how = plan(model, props.reading, masked=bool(props.mask_strip), from_scene=from_scene)
            text_block.draw(layout, how.describe(), icon="CHECKMARK")
        except DirectorError as error:
            text_block.draw(layout, f"{error} ({', '.join(r.label for r in offered) or 'nothing'} offered)",
                            icon="ERROR", alert=True)
        row = layout.row()
        row.enabled = has_source
        row.operator(control_shot.MOVIE_DIRECTOR_OT_control_shot.bl_idname, icon="OUTLINER_OB_CAMERA")


class MOVIE_DIRECTOR_PT_control_renders(_DirectorPanel, bpy.types.Panel):
    bl_label = "Control Renders"
    bl_parent_id = "MOVIE_DIRECTOR_PT_jobs"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return bool(tasks.tasks())

    def draw(self, context: bpy.types.Context) -> None:
        for task in tasks.tasks():
            box = self.layout.box()
            icon = {"rendering": "RENDER_ANIMATION", "done": "CHECKMARK", "cancelled": "CANCEL"}.get(task.state, "ERROR")
            text_block.draw(box, task.label, width=40, icon=icon, max_lines=2)
            row = box.row(align=True).split(factor=0.64, align=True)
            if task.running and hasattr(row, "progress"):
                row.progress(factor=task.progress, type="BAR", text=task.describe())
            else:
                row.label(text=task.describe() if task.state != "failed" else "Failed")
            if task.running:
                row.operator(control_shot.MOVIE_DIRECTOR_OT_cancel_control.bl_idname, text="Cancel",
                             icon="X").task_id = task.id
            else:
                row.operator(control_shot.MOVIE_DIRECTOR_OT_forget_control.bl_idname, text="Remove",
                             icon="TRASH").task_id = task.id
            if task.running:
                box.label(text="Rendering in a background Blender" if task.in_background else "Rendering here",
                          icon="BLANK1")
            if task.state == "failed":
                text_block.draw(box, task.error, icon="ERROR", alert=True, max_lines=4)


classes = (MOVIE_DIRECTOR_PT_control, MOVIE_DIRECTOR_PT_control_renders)
