"""The cast: characters (or objects) kept in the .blend, each a name, reference images and an optional LoRA.

Tick "In Shot" on the members a shot shows; a model that takes reference images (Lynx, Phantom,
Stand-In, VACE, LTX-2 …) gets their images, and the clip records who was in it.
"""

from __future__ import annotations

import os
from pathlib import Path

import bpy
from bpy.props import CollectionProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from ..common.numbered_names import first_free
from . import compat
from .list_editing import remove_active_operator


def _member(context, index: int = -1):
    look = context.scene.movie_director_look
    index = look.cast_index if index < 0 else index
    return look.cast[index] if 0 <= index < len(look.cast) else None


def add_member(scene: bpy.types.Scene, name: str, images: list[str] = (), lora: str = "",
               lora_multiplier: float = 1.0, in_shot: bool = False):
    """A new cast member (scripts and tests; the Cast panel's + does the same)."""
    look = scene.movie_director_look
    member = look.cast.add()
    taken = {m.name for m in look.cast if m != member}
    member.name = first_free(name.strip() or "Character", taken)
    for path in images:
        member.images.add().filepath = str(path)
    member.lora, member.lora_multiplier, member.in_shot = lora, lora_multiplier, in_shot
    look.cast_index = len(look.cast) - 1
    return member


def _add_image(member, path: str) -> None:
    """A reference image (relative to the .blend once it is saved), made the active one."""
    member.images.add().filepath = bpy.path.relpath(path) if bpy.data.filepath else path
    member.image_index = len(member.images) - 1


class MOVIE_DIRECTOR_OT_add_cast_member(bpy.types.Operator):
    """Add a character (or an object) to the project's cast"""

    bl_idname = "movie_director.add_cast_member"
    bl_label = "Add Cast Member"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    name: StringProperty(name="Name", default="Character")

    def execute(self, context) -> set[str]:
        add_member(context.scene, self.name)
        return {"FINISHED"}


MOVIE_DIRECTOR_OT_remove_cast_member = remove_active_operator(
    "MOVIE_DIRECTOR_OT_remove_cast_member", "movie_director.remove_cast_member", "Remove Cast Member",
    "Remove the selected member from the cast (clips made with them stay)",
    lambda context: context.scene.movie_director_look, "cast", "cast_index")


class MOVIE_DIRECTOR_OT_add_cast_images(bpy.types.Operator, ImportHelper):
    """Add reference images of the selected cast member (several at once)"""

    bl_idname = "movie_director.add_cast_images"
    bl_label = "Add Reference Images"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    filter_glob: StringProperty(default="*.png;*.jpg;*.jpeg;*.webp;*.bmp", options={"HIDDEN"})
    files: CollectionProperty(type=bpy.types.OperatorFileListElement, options={"HIDDEN", "SKIP_SAVE"})
    directory: StringProperty(subtype="DIR_PATH", options={"HIDDEN", "SKIP_SAVE"})
    member: IntProperty(default=-1, options={"HIDDEN"})

    def execute(self, context) -> set[str]:
        member = _member(context, self.member)
        if member is None:
            self.report({"ERROR"}, "Add a cast member first")
            return {"CANCELLED"}
        names = [f.name for f in self.files if f.name] or [Path(self.filepath).name]
        folder = self.directory or str(Path(self.filepath).parent)
        for name in names:
            _add_image(member, os.path.join(folder, name))
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_cast_image_from_strip(bpy.types.Operator):
    """Use the active image strip's picture as a reference image of the selected cast member"""

    bl_idname = "movie_director.cast_image_from_strip"
    bl_label = "From Image Strip"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    @classmethod
    def poll(cls, context) -> bool:
        strip = compat.active_strip(context) if context.scene else None
        return strip is not None and strip.type == "IMAGE" and _member(context) is not None

    def execute(self, context) -> set[str]:
        strip = compat.active_strip(context)
        element = strip.strip_elem_from_frame(context.scene.frame_current) or strip.elements[0]
        path = os.path.join(bpy.path.abspath(strip.directory), element.filename)
        _add_image(_member(context), path)
        return {"FINISHED"}


MOVIE_DIRECTOR_OT_remove_cast_image = remove_active_operator(
    "MOVIE_DIRECTOR_OT_remove_cast_image", "movie_director.remove_cast_image", "Remove Reference Image",
    "Remove the selected reference image from the member", _member, "images", "image_index")


class MOVIE_DIRECTOR_UL_cast(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        row = layout.row(align=True)
        row.prop(item, "in_shot", text="", icon="HIDE_OFF" if item.in_shot else "HIDE_ON", emboss=False)
        row.prop(item, "name", text="", emboss=False, icon="USER")
        row.label(text=f"{len(item.images)} img" + (" · LoRA" if item.lora else ""))


class MOVIE_DIRECTOR_UL_cast_images(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        exists = Path(bpy.path.abspath(item.filepath)).is_file() if item.filepath else False
        layout.prop(item, "filepath", text="", emboss=False, icon="IMAGE_DATA" if exists else "ERROR")


classes = (MOVIE_DIRECTOR_OT_add_cast_member, MOVIE_DIRECTOR_OT_remove_cast_member, MOVIE_DIRECTOR_OT_add_cast_images,
           MOVIE_DIRECTOR_OT_cast_image_from_strip, MOVIE_DIRECTOR_OT_remove_cast_image, MOVIE_DIRECTOR_UL_cast,
           MOVIE_DIRECTOR_UL_cast_images)
