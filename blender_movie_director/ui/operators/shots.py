"""The shot list's buttons: shots from text strips or typed in, generate one or all, split, pick a model."""

import bpy
from bpy.props import BoolProperty, FloatProperty, IntProperty, StringProperty

from ...common import shot_timing
from ...common.enums import OutputKind
from ...common.errors import DirectorError
from .. import compat, queueing, shots, timing
from ._common import SceneOperator, report_error


def _shot(context: bpy.types.Context, uid: str):
    strip = shots.find_shot(context.scene, uid)
    if strip is None:
        raise LookupError("that shot is no longer on the timeline")
    return strip


def _shot_or_report(operator: bpy.types.Operator, context: bpy.types.Context, uid: str):
    """The shot's strip, or None with the reason reported (it left the timeline)."""
    try:
        return _shot(context, uid)
    except LookupError as error:
        operator.report({"ERROR"}, str(error))
        return None


class MOVIE_DIRECTOR_OT_shots_from_text_strips(SceneOperator, bpy.types.Operator):
    """Make the selected text strips shots of the sequence (all text strips when none is selected)"""

    bl_idname = "movie_director.shots_from_text_strips"
    bl_label = "Text Strips to Shots"

    def execute(self, context: bpy.types.Context) -> set[str]:
        editor = context.scene.sequence_editor
        texts = [s for s in compat.selected_strips(context) if s.type == "TEXT"]
        if not texts and editor is not None:
            texts = [s for s in compat.all_strips(editor) if s.type == "TEXT"]
        if not texts:
            self.report({"WARNING"}, "Add text strips to the timeline first (their text is each shot's prompt)")
            return {"CANCELLED"}
        for strip in texts:
            shots.make_shot(strip)
        self.report({"INFO"}, f"{len(texts)} shot(s) in the list")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_add_shot(SceneOperator, bpy.types.Operator):
    """Type a shot in: a text strip after the last shot (or at the playhead), as long as asked"""

    bl_idname = "movie_director.add_shot"
    bl_label = "Add Shot"

    prompt: StringProperty(name="Prompt", description="What the shot shows")
    seconds: FloatProperty(name="Duration", default=2.0, min=0.1, max=120.0, unit="TIME_ABSOLUTE")
    channel: IntProperty(name="Channel", default=0, min=0, max=127, description="0: the last shot's channel, else 1")

    def invoke(self, context: bpy.types.Context, event) -> set[str]:
        return context.window_manager.invoke_props_dialog(self, width=420)

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        if not self.prompt.strip():
            self.report({"ERROR"}, "Describe the shot in Prompt")
            return {"CANCELLED"}
        existing = shots.shots_of(scene)
        last = existing[-1] if existing else None
        start = int(last.frame_final_end) if last is not None else scene.frame_current
        channel = self.channel or (last.channel if last is not None else 1)
        frames = shot_timing.slot_frames_for_seconds(self.seconds, timing.scene_fps(scene))
        editor = scene.sequence_editor_create()
        strip = compat.new_effect(editor, self.prompt.strip()[:40], "TEXT", channel, start, frames)
        strip.text = self.prompt.strip()
        shots.make_shot(strip)
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_generate_shot(SceneOperator, bpy.types.Operator):
    """Generate this shot (again): its clip lands at the shot's place, exactly its length"""

    bl_idname = "movie_director.generate_shot"
    bl_label = "Generate Shot"
    uid: StringProperty(options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            shots.queue_shot(context.scene, _shot(context, self.uid))
        except DirectorError as error:
            return report_error(self, error)
        except LookupError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_generate_all_shots(SceneOperator, bpy.types.Operator):
    """Queue every shot that is not done, queued or skipped, in timeline order"""

    bl_idname = "movie_director.generate_all_shots"
    bl_label = "Generate All"

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        queued, refused = 0, []
        for strip in shots.shots_of(scene):
            if not shots.needs_generating(scene, strip):
                continue
            try:
                shots.queue_shot(scene, strip)
                queued += 1
            except DirectorError as error:
                refused.append(str(error))
        for line in refused:
            self.report({"WARNING"}, line)
        if not queued and not refused:
            self.report({"INFO"}, "Every shot is done, queued or skipped")
            return {"CANCELLED"}
        self.report({"WARNING"} if refused else {"INFO"},
                    f"Queued {queued} shot(s)" + (f"; {len(refused)} refused (see above)" if refused else ""))
        return {"FINISHED"} if queued else {"CANCELLED"}


class MOVIE_DIRECTOR_OT_split_shot(SceneOperator, bpy.types.Operator):
    """Cut this shot into shots its model can make in one job each"""

    bl_idname = "movie_director.split_shot"
    bl_label = "Split Shot"
    bl_options = {"REGISTER", "UNDO"}
    uid: StringProperty(options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            pieces = shots.split(context.scene, _shot(context, self.uid))
        except (DirectorError, LookupError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Split into {len(pieces)} shots")
        return {"FINISHED"}


_PANEL_MODEL = "__panel__"
_model_items: list[tuple[str, str, str]] = []


def _models(self, context) -> list[tuple[str, str, str]]:
    _model_items[:] = [(_PANEL_MODEL, "Shot panel's model", "Follow the model picked in the Shot panel")]
    _model_items.extend((m.id, m.name, f"{m.id} · {m.frame_grid}") for m in queueing.known_models().values()
                        if m.output is OutputKind.VIDEO)
    return _model_items


class MOVIE_DIRECTOR_OT_shot_set_model(SceneOperator, bpy.types.Operator):
    """Pick this shot's model"""

    bl_idname = "movie_director.shot_set_model"
    bl_label = "Shot Model"
    bl_property = "model"
    uid: StringProperty(options={"HIDDEN"})
    model: bpy.props.EnumProperty(name="Model", items=_models)

    def execute(self, context: bpy.types.Context) -> set[str]:
        strip = _shot_or_report(self, context, self.uid)
        if strip is None:
            return {"CANCELLED"}
        strip.movie_director_shot.model = "" if self.model == _PANEL_MODEL else self.model
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_select_shot(SceneOperator, bpy.types.Operator):
    """Select this shot's text strip and move the playhead to it"""

    bl_idname = "movie_director.select_shot"
    bl_label = "Select Shot"
    uid: StringProperty(options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> set[str]:
        strip = _shot_or_report(self, context, self.uid)
        if strip is None:
            return {"CANCELLED"}
        for other in compat.all_strips(context.scene.sequence_editor):
            other.select = other == strip
        context.scene.sequence_editor.active_strip = strip
        context.scene.frame_current = int(strip.frame_final_start)
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_shot_cast(SceneOperator, bpy.types.Operator):
    """Put this cast member in this shot, or take them out: a model that takes reference images gets their
    images (one that takes none refuses the shot)"""

    bl_idname = "movie_director.shot_cast"
    bl_label = "In This Shot"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}
    uid: StringProperty(options={"HIDDEN"})
    member: StringProperty(name="Cast Member")
    in_shot: BoolProperty(name="In Shot", default=True)

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            strip = _shot(context, self.uid)
        except LookupError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        shots.set_in_shot(strip, self.member, self.in_shot)
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_shots_from_text_strips, MOVIE_DIRECTOR_OT_add_shot, MOVIE_DIRECTOR_OT_generate_shot,
           MOVIE_DIRECTOR_OT_generate_all_shots, MOVIE_DIRECTOR_OT_split_shot, MOVIE_DIRECTOR_OT_shot_set_model,
           MOVIE_DIRECTOR_OT_select_shot, MOVIE_DIRECTOR_OT_shot_cast)
