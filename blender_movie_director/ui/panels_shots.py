"""The Director tab's sequence panels: the shot list (with first + last frame) and the active clip's
Extend, Variations and Keep."""

from __future__ import annotations

import bpy

from . import compat, looks, shots, takes, text_block, wan2gp_queue_ops
from .operators import extend, first_last_frame, variations
from .operators import shots as shot_ops

_STATE_ICONS = {"draft": "FILE", "waiting": "TIME", "queued": "SORTTIME", "rendering": "RENDER_ANIMATION", "done": "CHECKMARK",
                "failed": "ERROR", "cancelled": "CANCEL", "skipped": "HIDE_ON", "too long": "ERROR"}


class _DirectorPanel:
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Director"


class MOVIE_DIRECTOR_PT_shots(_DirectorPanel, bpy.types.Panel):
    bl_label = "Shots"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        scene = context.scene
        row = layout.row(align=True)
        row.operator(shot_ops.MOVIE_DIRECTOR_OT_shots_from_text_strips.bl_idname, icon="FONT_DATA")
        row.operator(shot_ops.MOVIE_DIRECTOR_OT_add_shot.bl_idname, text="Add", icon="ADD")
        found = shots.shots_of(scene, fix_ids=False)
        if not found:
            layout.label(text="No shots: each text strip can be one (its text is the prompt)")
        for number, strip in enumerate(found, start=1):
            _draw_shot(layout, scene, number, strip)
        if found:
            layout.operator(shot_ops.MOVIE_DIRECTOR_OT_generate_all_shots.bl_idname, icon="RENDER_ANIMATION")
            row = layout.row(align=True)
            row.operator(wan2gp_queue_ops.MOVIE_DIRECTOR_OT_export_shots_wan2gp_queue.bl_idname,
                         text="Export as Wan2GP Queue", icon="EXPORT")
            row.operator(wan2gp_queue_ops.MOVIE_DIRECTOR_OT_import_wan2gp_outputs.bl_idname, text="Import Outputs",
                         icon="IMPORT")
        box = layout.box()
        box.label(text="First + Last Frame", icon="IMAGE_REFERENCE")
        model = first_last_frame.first_last_model(scene)
        box.label(text=model.name if model else "no model takes an end image", icon="INFO")
        col = box.column(align=True)
        for source, label in (("IMAGES", "From Two Image Strips"), ("MARKERS", "Between Two Markers"),
                              ("PLAYHEAD", "Playhead to Next Marker")):
            col.operator(first_last_frame.MOVIE_DIRECTOR_OT_first_last_frame.bl_idname, text=label).source = source


def _draw_shot(layout, scene: bpy.types.Scene, number: int, strip) -> None:
    shot = strip.movie_director_shot
    status = shots.status_of(scene, strip)
    box = layout.box()
    row = box.row(align=True)
    op = row.operator(shot_ops.MOVIE_DIRECTOR_OT_select_shot.bl_idname, text=f"{number}. {strip.text[:38]}",
                      icon=_STATE_ICONS.get(status.state, "DOT"), emboss=False)
    op.uid = shot.uid
    row.prop(shot, "skip", text="", icon="HIDE_ON" if shot.skip else "HIDE_OFF")
    sub = row.row(align=True)
    sub.enabled = not status.busy
    sub.operator(shot_ops.MOVIE_DIRECTOR_OT_generate_shot.bl_idname, text="",
                 icon="FILE_REFRESH" if status.state == "done" else "PLAY").uid = shot.uid
    if status.state == "rendering" and hasattr(box, "progress"):
        box.progress(factor=status.progress, type="BAR", text=status.text)
    elif status.state in ("failed", "too long"):
        text_block.draw(box, status.text, icon="ERROR", alert=True, max_lines=3)
    else:
        box.label(text=status.text)
    timed = shots.timing_of(scene, strip)
    model = shots.model_for(scene, strip)
    row = box.row(align=True)
    row.operator_menu_enum(shot_ops.MOVIE_DIRECTOR_OT_shot_set_model.bl_idname, "model",
                           text=(model.name if model else shot.model or "?")
                           + ("" if shot.model else " (panel's)")).uid = shot.uid
    if timed is not None:
        box.label(text=timed.describe(), icon="TIME")
        if not timed.fits:
            box.operator(shot_ops.MOVIE_DIRECTOR_OT_split_shot.bl_idname, icon="SCULPTMODE_HLT").uid = shot.uid
    _draw_cast(box, scene, strip)
    box.prop(shot, "extend_previous")
    if not shot.extend_previous:
        col = box.column(align=True)
        col.prop(shot, "start_image", text="Start")
        col.prop(shot, "end_image", text="End")




def _draw_cast(box, scene: bpy.types.Scene, strip) -> None:
    """The Cast panel's members as toggles: who is in this shot."""
    members = [m.name for m in looks.look_of(scene).cast]
    in_shot = shots.cast_names(strip)
    if not members and not in_shot:
        return
    flow = box.grid_flow(row_major=True, columns=3, even_columns=True, align=True)
    for name in members + [n for n in in_shot if n not in members]:
        present = name in in_shot
        op = flow.operator(shot_ops.MOVIE_DIRECTOR_OT_shot_cast.bl_idname, text=name, depress=present,
                           icon="USER" if name in members else "ERROR")
        op.uid, op.member, op.in_shot = strip.movie_director_shot.uid, name, not present


class MOVIE_DIRECTOR_PT_clip(_DirectorPanel, bpy.types.Panel):
    bl_label = "Clip"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = compat.active_strip(context) if context.scene else None
        return strip is not None and strip.type == "MOVIE"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        scene = context.scene
        strip = compat.active_strip(context)
        model = extend.extend_model(scene, strip)
        col = layout.column(align=True)
        col.operator(extend.MOVIE_DIRECTOR_OT_extend.bl_idname, icon="FORWARD")
        col.label(text=f"with {model.name}" if model else "no model continues a video", icon="INFO")
        if "bmd_settings" not in strip:
            return
        row = layout.row(align=True)
        row.operator(variations.MOVIE_DIRECTOR_OT_variations.bl_idname, icon="SHADERFX")
        group = takes.members(scene, takes.group_of(strip))
        if len(group) > 1:
            take = int(strip.get("bmd_take", 0) or 0)
            layout.label(text=f"Take {take + 1} of {len(group)}")
            layout.operator(variations.MOVIE_DIRECTOR_OT_keep_take.bl_idname, icon="CHECKMARK")


classes = (MOVIE_DIRECTOR_PT_shots, MOVIE_DIRECTOR_PT_clip)
