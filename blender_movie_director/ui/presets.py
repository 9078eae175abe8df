"""User style presets, saved in the add-on's preferences (never in a .blend), beside the shipped ones.

Create one from the current shot (its template, negative words and the settings it sets), rename or
delete it, export presets to a JSON file and import them again (common/presets.py holds the rules).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import bpy
from bpy.props import BoolProperty, FloatProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..common.errors import DirectorError
from . import addon

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..common.presets import StylePreset

PLACEHOLDER = "{prompt}"  # common.presets.PLACEHOLDER (tests/blender/test_enable_path.py holds them equal)


class MOVIE_DIRECTOR_user_preset(bpy.types.PropertyGroup):
    """One user preset as the preferences store it (StylePreset is what the rest of the add-on uses)."""

    name: StringProperty(name="Name", default="My Look")
    prompt_template: StringProperty(name="Template", default=PLACEHOLDER,
                                    description="The prompt around the shot's words: {prompt} is where they go")
    negative_prompt: StringProperty(name="Negative", description="Added to the shot's negative prompt")
    steps: IntProperty(name="Steps", default=0, min=0, max=200, description="0: the model's (or the shot's)")
    use_guidance: BoolProperty(name="Set Guidance", default=False)
    guidance: FloatProperty(name="Guidance", default=5.0, min=0.0, max=30.0)
    resolution: StringProperty(name="Resolution", description="e.g. 832x480 (empty: the model's or the shot's)")
    description: StringProperty(name="Description")


preference_classes = (MOVIE_DIRECTOR_user_preset,)


def _prefs():
    return addon.prefs()


def stored() -> list:
    prefs = _prefs()
    return list(prefs.user_presets) if prefs is not None and hasattr(prefs, "user_presets") else []


def to_preset(item) -> StylePreset | None:
    """The stored preset as a StylePreset (None when it is not valid, e.g. its template lost {prompt})."""
    from ..common.presets import StylePreset  # pydantic: on first use, never at the add-on's enable

    try:
        return StylePreset(name=item.name, prompt_template=item.prompt_template, negative_prompt=item.negative_prompt,
                           steps=item.steps or None, guidance=item.guidance if item.use_guidance else None,
                           resolution=item.resolution.strip() or None, description=item.description)
    except (ValueError, TypeError):
        return None


def user_presets() -> list[StylePreset]:
    return [p for p in (to_preset(item) for item in stored()) if p is not None]


def all_presets() -> list[StylePreset]:
    """The user's first, then the shipped ones (a user preset never hides a shipped one: names are unique)."""
    from ..common.presets import BUILTIN_PRESETS

    return [*user_presets(), *BUILTIN_PRESETS]


def find(name: str) -> StylePreset | None:
    return next((p for p in all_presets() if p.name == name.strip()), None)


def store(preset: StylePreset, item=None):
    prefs = _prefs()
    if item is None:
        item = prefs.user_presets.add()
        prefs.preset_index = len(prefs.user_presets) - 1
    item.name = preset.name
    item.prompt_template = preset.prompt_template
    item.negative_prompt = preset.negative_prompt
    item.steps = preset.steps or 0
    item.use_guidance = preset.guidance is not None
    item.guidance = preset.guidance if preset.guidance is not None else 5.0
    item.resolution = preset.resolution or ""
    item.description = preset.description
    return item


def _report(operator, error: DirectorError) -> set[str]:
    operator.report({"ERROR"}, str(error))
    return {"CANCELLED"}


class MOVIE_DIRECTOR_OT_preset_from_shot(bpy.types.Operator):
    """Save the current shot's look as a preset: its template (the active preset's, or the prompt when it holds
    {prompt}), its negative words and the steps, guidance and resolution it sets"""

    bl_idname = "movie_director.preset_from_shot"
    bl_label = "Save Look as Preset"
    bl_options = {"REGISTER", "INTERNAL"}

    name: StringProperty(name="Name", default="My Look")
    use_as_look: BoolProperty(name="Use It for the Shot", default=True)

    @classmethod
    def poll(cls, context) -> bool:
        return context.scene is not None and _prefs() is not None

    def invoke(self, context, event):
        from ..common.presets import unique_name

        self.name = unique_name(self.name, [p.name for p in user_presets()])
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context) -> set[str]:
        from ..common.presets import preset_from_shot, unique_name

        props = context.scene.movie_director
        look = context.scene.movie_director_look
        try:
            preset = preset_from_shot(
                unique_name(self.name, [p.name for p in user_presets()]), prompt=props.prompt,
                negative_prompt=props.negative_prompt, steps=props.steps or None,
                guidance=props.guidance if props.use_guidance else None,
                resolution=None if props.resolution == "MODEL_DEFAULT" else props.resolution,
                based_on=find(look.preset) if look.preset else None)
        except DirectorError as error:
            return _report(self, error)
        store(preset)
        if self.use_as_look:
            look.preset = preset.name
        self.report({"INFO"}, f"Saved the preset '{preset.name}'")
        return {"FINISHED"}


def _repoint_shots(old: str, new: str) -> None:
    """Every scene's look that uses the preset `old` follows it to `new` ("": the preset is gone)."""
    for scene in bpy.data.scenes:
        if scene.movie_director_look.preset == old:
            scene.movie_director_look.preset = new


class MOVIE_DIRECTOR_OT_rename_preset(bpy.types.Operator):
    """Rename the selected user preset (shots using it follow)"""

    bl_idname = "movie_director.rename_preset"
    bl_label = "Rename Preset"
    bl_options = {"REGISTER", "INTERNAL"}

    old_name: StringProperty(name="Preset")
    new_name: StringProperty(name="New Name")

    def invoke(self, context, event):
        if not self.old_name:
            item = _selected()
            self.old_name = item.name if item is not None else ""
        self.new_name = self.new_name or self.old_name
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context) -> set[str]:
        from ..common.presets import unique_name

        item = next((p for p in stored() if p.name == self.old_name), None)
        if item is None:
            self.report({"ERROR"}, f"No user preset named '{self.old_name}' (shipped presets cannot be renamed)")
            return {"CANCELLED"}
        wanted = " ".join(self.new_name.split())
        if not wanted:
            self.report({"ERROR"}, "A preset needs a name")
            return {"CANCELLED"}
        if wanted != item.name:
            wanted = unique_name(wanted, [p.name for p in stored() if p != item])
        old, item.name = item.name, wanted
        _repoint_shots(old, wanted)
        self.report({"INFO"}, f"Renamed '{old}' to '{wanted}'")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_delete_preset(bpy.types.Operator):
    """Delete the selected user preset (clips made with it keep its name in their settings)"""

    bl_idname = "movie_director.delete_preset"
    bl_label = "Delete Preset"
    bl_options = {"REGISTER", "INTERNAL"}

    name: StringProperty(name="Preset")

    def execute(self, context) -> set[str]:
        from ..common.presets import BUILTIN_NAMES

        prefs = _prefs()
        items = stored()
        name = self.name or (_selected().name if _selected() is not None else "")
        index = next((i for i, p in enumerate(items) if p.name == name), None)
        if index is None:
            self.report({"ERROR"}, f"No user preset named '{name}'" + (" (shipped presets stay)" if name in BUILTIN_NAMES
                                                                       else ""))
            return {"CANCELLED"}
        prefs.user_presets.remove(index)
        prefs.preset_index = max(0, min(prefs.preset_index, len(prefs.user_presets) - 1))
        _repoint_shots(name, "")
        self.report({"INFO"}, f"Deleted the preset '{name}'")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_export_presets(bpy.types.Operator, ExportHelper):
    """Write your presets to a JSON file (to share them or keep them safe)"""

    bl_idname = "movie_director.export_presets"
    bl_label = "Export Presets"
    bl_options = {"REGISTER", "INTERNAL"}

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})
    include_shipped: BoolProperty(name="Include Shipped Presets", default=False)

    def execute(self, context) -> set[str]:
        from ..common.presets import BUILTIN_PRESETS, presets_to_json

        chosen = [*user_presets(), *(BUILTIN_PRESETS if self.include_shipped else ())]
        try:
            Path(self.filepath).write_text(presets_to_json(chosen), encoding="utf-8")
        except OSError as exc:
            self.report({"ERROR"}, f"Could not write {self.filepath}: {exc.strerror or exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Exported {len(chosen)} preset(s) to {Path(self.filepath).name}")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_import_presets(bpy.types.Operator, ImportHelper):
    """Read presets from a JSON file exported by Movie Director (a preset whose name is taken gets a new one)"""

    bl_idname = "movie_director.import_presets"
    bl_label = "Import Presets"
    bl_options = {"REGISTER", "INTERNAL"}

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context) -> set[str]:
        from ..common.presets import presets_from_json, unique_name

        try:
            found = presets_from_json(Path(self.filepath).read_text(encoding="utf-8"))
        except OSError as exc:
            self.report({"ERROR"}, f"Could not read {self.filepath}: {exc.strerror or exc}")
            return {"CANCELLED"}
        except DirectorError as error:
            return _report(self, error)
        added = 0
        for preset in found:
            same = find(preset.name)
            if same == preset:
                continue  # already there, unchanged
            store(preset.model_copy(update={"name": unique_name(preset.name, [p.name for p in user_presets()])}))
            added += 1
        self.report({"INFO"}, f"Imported {added} preset(s) from {Path(self.filepath).name}")
        return {"FINISHED"}


def _selected():
    prefs = _prefs()
    items = stored()
    if prefs is None or not items:
        return None
    return items[max(0, min(prefs.preset_index, len(items) - 1))]


class MOVIE_DIRECTOR_UL_presets(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        valid = to_preset(item) is not None
        layout.prop(item, "name", text="", emboss=False, icon="COLOR" if valid else "ERROR")


def draw_manager(layout, prefs) -> None:
    """The user presets, editable: in the preferences and in the Look panel."""
    row = layout.row()
    row.template_list("MOVIE_DIRECTOR_UL_presets", "", prefs, "user_presets", prefs, "preset_index", rows=3)
    col = row.column(align=True)
    col.operator(MOVIE_DIRECTOR_OT_preset_from_shot.bl_idname, text="", icon="ADD")
    col.operator(MOVIE_DIRECTOR_OT_delete_preset.bl_idname, text="", icon="REMOVE")
    col.operator(MOVIE_DIRECTOR_OT_rename_preset.bl_idname, text="", icon="GREASEPENCIL")
    item = _selected()
    if item is not None:
        box = layout.box()
        box.prop(item, "prompt_template")
        box.prop(item, "negative_prompt")
        row = box.row(align=True)
        row.prop(item, "steps")
        row.prop(item, "use_guidance", toggle=True)
        sub = row.row(align=True)
        sub.enabled = item.use_guidance
        sub.prop(item, "guidance", text="")
        box.prop(item, "resolution")
        if to_preset(item) is None:
            box.label(text="Not usable: the template needs {prompt}, the resolution one of Wan2GP's", icon="ERROR")
    row = layout.row(align=True)
    row.operator(MOVIE_DIRECTOR_OT_import_presets.bl_idname, icon="IMPORT")
    row.operator(MOVIE_DIRECTOR_OT_export_presets.bl_idname, icon="EXPORT")


classes = (MOVIE_DIRECTOR_OT_preset_from_shot, MOVIE_DIRECTOR_OT_rename_preset, MOVIE_DIRECTOR_OT_delete_preset,
           MOVIE_DIRECTOR_OT_export_presets, MOVIE_DIRECTOR_OT_import_presets, MOVIE_DIRECTOR_UL_presets)
