"""The Director tab's panels for looks, cast, finishing and the clip library.

Look and Cast sit inside the Shot panel (what the next shot gets); Finish inside Generated Strip (what to
do to the active clip); Library on its own (every clip of the project)."""

from __future__ import annotations

import bpy

from . import addon, compat, library, looks, loras, presets, properties, text_block
from . import cast as cast_ops
from .operators import finish


class _DirectorPanel:
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Director"


class MOVIE_DIRECTOR_PT_look(_DirectorPanel, bpy.types.Panel):
    bl_label = "Look"
    bl_parent_id = "MOVIE_DIRECTOR_PT_generate"
    bl_options = {"DEFAULT_CLOSED"}  # closed, its header still says the look in use

    def draw_header(self, context) -> None:
        look = context.scene.movie_director_look
        used = [p.name for p in look.loras if p.use and p.name] if look.lora_model == context.scene.movie_director.model else []
        said = " · ".join(part for part in (look.preset, f"{len(used)} LoRA{'s' if len(used) != 1 else ''}" if used
                                            else "") if part)
        if said:
            self.layout.label(text=said)

    def draw(self, context) -> None:
        layout = self.layout
        scene = context.scene
        look = scene.movie_director_look
        model = properties.model_info(scene.movie_director.model)
        row = layout.row(align=True)
        row.prop(look, "preset", icon="COLOR")
        row.operator(presets.MOVIE_DIRECTOR_OT_preset_from_shot.bl_idname, text="", icon="ADD")
        chosen = presets.find(look.preset) if look.preset else None
        if chosen is not None:
            text_block.draw(layout, chosen.describe(), icon="INFO", max_lines=3)
        for problem in looks.problems(scene, model):
            text_block.draw(layout, problem, icon="ERROR", alert=True, max_lines=4)
        box = layout.box()
        row = box.row(align=True)
        row.label(text=f"LoRAs of {scene.movie_director.model}", icon="PLUGIN")
        row.operator(loras.MOVIE_DIRECTOR_OT_refresh_loras.bl_idname, text="", icon="FILE_REFRESH")
        url, model_id = addon.server_url(), scene.movie_director.model
        known = loras.lists().get(url, model_id)
        if known is None:
            error = loras.lists().error(url, model_id)
            box.label(text=error[:80] if error else "Asking the server…", icon="ERROR" if error else "SORTTIME")
        elif not known.loras:
            box.label(text="The server has no LoRAs for this model", icon="INFO")
        row = box.row()
        row.template_list("MOVIE_DIRECTOR_UL_loras", "", look, "loras", look, "lora_index", rows=2)
        col = row.column(align=True)
        col.operator(loras.MOVIE_DIRECTOR_OT_add_lora.bl_idname, text="", icon="ADD")
        col.operator(loras.MOVIE_DIRECTOR_OT_remove_lora.bl_idname, text="", icon="REMOVE")


class MOVIE_DIRECTOR_PT_presets(_DirectorPanel, bpy.types.Panel):
    bl_label = "Manage Presets"
    bl_parent_id = "MOVIE_DIRECTOR_PT_look"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context) -> None:
        prefs = addon.prefs()
        if prefs is None:
            self.layout.label(text="The add-on's preferences are not available")
            return
        presets.draw_manager(self.layout, prefs)


class MOVIE_DIRECTOR_PT_cast(_DirectorPanel, bpy.types.Panel):
    bl_label = "Cast"
    bl_parent_id = "MOVIE_DIRECTOR_PT_generate"
    bl_options = {"DEFAULT_CLOSED"}

    def draw_header(self, context) -> None:
        members = looks.cast_in_shot(context.scene)
        if members:
            self.layout.label(text=", ".join(m.name for m in members)[:40])

    def draw(self, context) -> None:
        layout = self.layout
        scene = context.scene
        look = scene.movie_director_look
        row = layout.row()
        row.template_list("MOVIE_DIRECTOR_UL_cast", "", look, "cast", look, "cast_index", rows=2)
        col = row.column(align=True)
        col.operator(cast_ops.MOVIE_DIRECTOR_OT_add_cast_member.bl_idname, text="", icon="ADD")
        col.operator(cast_ops.MOVIE_DIRECTOR_OT_remove_cast_member.bl_idname, text="", icon="REMOVE")
        members = looks.cast_in_shot(scene)
        layout.label(text="In this shot: " + (", ".join(m.name for m in members) if members else "nobody"),
                     icon="COMMUNITY")
        if 0 <= look.cast_index < len(look.cast):
            member = look.cast[look.cast_index]
            box = layout.box()
            box.prop(member, "name")
            box.prop(member, "in_shot")
            row = box.row()
            row.template_list("MOVIE_DIRECTOR_UL_cast_images", "", member, "images", member, "image_index", rows=2)
            col = row.column(align=True)
            col.operator(cast_ops.MOVIE_DIRECTOR_OT_add_cast_images.bl_idname, text="", icon="FILEBROWSER")
            col.operator(cast_ops.MOVIE_DIRECTOR_OT_cast_image_from_strip.bl_idname, text="", icon="IMAGE_DATA")
            col.operator(cast_ops.MOVIE_DIRECTOR_OT_remove_cast_image.bl_idname, text="", icon="REMOVE")
            row = box.row(align=True)
            row.prop(member, "lora")
            row.prop(member, "lora_multiplier", text="")


class MOVIE_DIRECTOR_PT_finish(_DirectorPanel, bpy.types.Panel):
    bl_label = "Finish"
    bl_parent_id = "MOVIE_DIRECTOR_PT_strip"

    def draw(self, context) -> None:
        layout = self.layout
        strip = compat.active_strip(context)
        if strip is not None and strip.get("bmd_finish"):
            layout.label(text=f"{str(strip['bmd_finish']).replace('_', ' ').title()} of "
                              f"{strip.get('bmd_source') or strip.get('bmd_finish_of', '?')}", icon="LINKED")
        for key, label in (("bmd_preset", "Look"), ("bmd_cast", "Cast"), ("bmd_loras", "LoRAs")):
            if strip is not None and strip.get(key):
                layout.label(text=f"{label}: {strip[key]}"[:90])
        row = layout.row(align=True)
        row.operator_context = "INVOKE_DEFAULT"
        row.operator(finish.MOVIE_DIRECTOR_OT_upscale_strip.bl_idname, icon="FULLSCREEN_ENTER")
        row.operator(finish.MOVIE_DIRECTOR_OT_smooth_strip.bl_idname, icon="IPO_EASE_IN_OUT")
        row.operator(finish.MOVIE_DIRECTOR_OT_add_sound_strip.bl_idname, icon="SOUND")


class MOVIE_DIRECTOR_PT_library(_DirectorPanel, bpy.types.Panel):
    bl_label = "Library"

    def draw(self, context) -> None:
        layout = self.layout
        wm = context.window_manager
        row = layout.row(align=True)
        row.prop(wm, "movie_director_library_search", text="", icon="VIEWZOOM")
        row.operator(library.MOVIE_DIRECTOR_OT_library_refresh.bl_idname, text="", icon="FILE_REFRESH")
        layout.row().prop(wm, "movie_director_library_kind", expand=True)
        if not wm.movie_director_library:
            layout.label(text="No clips yet: everything made for this project is listed here", icon="INFO")
            return
        layout.template_list("MOVIE_DIRECTOR_UL_library", "", wm, "movie_director_library", wm,
                             "movie_director_library_index", rows=4)
        found = library.selected()
        if found is None:
            return
        box = layout.box()
        icon = library.icon_of(found.key)
        if icon:
            box.template_icon(icon_value=icon, scale=6.0)
        text_block.draw(box, found.prompt, max_lines=3)
        text_block.draw(box, found.describe(), icon="INFO", max_lines=3)
        col = box.column(align=True)
        col.operator(library.MOVIE_DIRECTOR_OT_library_place.bl_idname, icon="SEQ_SEQUENCER")
        col.operator(library.MOVIE_DIRECTOR_OT_library_load.bl_idname, icon="IMPORT")
        col.operator(library.MOVIE_DIRECTOR_OT_library_reveal.bl_idname, icon="FILEBROWSER")


classes = (MOVIE_DIRECTOR_PT_look, MOVIE_DIRECTOR_PT_presets, MOVIE_DIRECTOR_PT_cast, MOVIE_DIRECTOR_PT_finish,
           MOVIE_DIRECTOR_PT_library)
