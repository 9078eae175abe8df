"""Finish the active strip: Upscale, Smooth, Add Sound (Strip menu › Movie Director, and the Generated
Strip panel). Each queues a job and returns at once; its result lands above the strip."""

from __future__ import annotations

from typing import TYPE_CHECKING

import bpy
from bpy.props import EnumProperty, FloatProperty, StringProperty

from ...common.errors import DirectorError
from .. import compat, finishing, timing
from ._common import report_error

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ...common.finishing import FinishOperation


def _active(context, kinds: tuple[str, ...] = ("MOVIE",)):
    strip = compat.active_strip(context) if context.scene else None
    return strip if strip is not None and strip.type in kinds else None


class MOVIE_DIRECTOR_OT_upscale_strip(bpy.types.Operator):
    """Upscale the active movie or image strip (Wan2GP's spatial upsampling); the result lands above it"""

    bl_idname = "movie_director.upscale_strip"
    bl_label = "Upscale"
    bl_options = {"REGISTER"}

    upscaler: EnumProperty(name="Upscaler", items=[
        ("lanczos", "Lanczos", "Sharp resampling: fast, no model to download"),
        ("flashvsr", "FlashVSR", "AI upscaler: adds detail (Wan2GP downloads it on first use)")], default="lanczos")
    scale: EnumProperty(name="Scale", items=[("1.5", "×1.5", ""), ("2", "×2", ""), ("3", "×3", ""), ("4", "×4", "")],
                        default="2")

    @classmethod
    def poll(cls, context) -> bool:
        return _active(context, ("MOVIE", "IMAGE")) is not None

    def invoke(self, context, event):
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context) -> set[str]:
        from ...common.finishing import (  # pydantic: on first use, never at the add-on's enable
            UPSCALERS,
            FinishOperation,
        )

        scale = float(self.scale)
        if scale not in UPSCALERS[self.upscaler]:
            self.report({"ERROR"}, f"{self.upscaler} upscales by " + ", ".join(f"×{f:g}" for f in UPSCALERS[self.upscaler]))
            return {"CANCELLED"}
        return _queue(self, context, FinishOperation.UPSCALE, upscaler=self.upscaler, scale=scale)


class MOVIE_DIRECTOR_OT_smooth_strip(bpy.types.Operator):
    """Interpolate new frames (RIFE) so the active movie strip plays smoothly at the scene's frame rate"""

    bl_idname = "movie_director.smooth_strip"
    bl_label = "Smooth"
    bl_options = {"REGISTER"}

    fps: FloatProperty(name="Frame Rate", default=0.0, min=0.0, max=240.0,
                       description="The frame rate to reach (0: the scene's)")

    @classmethod
    def poll(cls, context) -> bool:
        return _active(context) is not None

    def execute(self, context) -> set[str]:
        from ...common.finishing import FinishOperation

        fps = self.fps or timing.scene_fps(context.scene)
        return _queue(self, context, FinishOperation.SMOOTH, fps=round(fps, 3))


class MOVIE_DIRECTOR_OT_add_sound_strip(bpy.types.Operator):
    """Give the active movie strip sound: generated from its picture (MMAudio), or music or speech from a
    sound model; it lands on a sound channel above the strip"""

    bl_idname = "movie_director.add_sound_strip"
    bl_label = "Add Sound"
    bl_options = {"REGISTER"}

    source: EnumProperty(name="Sound", items=[
        ("PICTURE", "From the Picture", "A soundtrack made from what the clip shows (and the prompt, if any)"),
        ("MUSIC", "Music", "Music from a music model, as long as the clip"),
        ("SPEECH", "Speech", "The prompt spoken by a speech model")], default="PICTURE")
    prompt: StringProperty(name="Prompt", description="What it should sound like (music, the words to say)")
    negative_prompt: StringProperty(name="Avoid", description="Sounds to avoid (from the picture)")
    model: StringProperty(name="Model", description="The sound model for music or speech (empty: the first)")

    @classmethod
    def poll(cls, context) -> bool:
        return _active(context) is not None

    def invoke(self, context, event):
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context) -> set[str]:
        from ...common.finishing import FinishOperation

        if self.source == "PICTURE":
            return _queue(self, context, FinishOperation.ADD_SOUND, sound_prompt=self.prompt.strip(),
                          sound_negative=self.negative_prompt.strip())
        strip = _active(context)
        try:
            record = finishing.queue_sound_for(context.scene, strip, self.source, self.prompt, self.model)
        except DirectorError as error:
            return report_error(self, error)
        self.report({"INFO"}, f"Queued {self.source.lower()} ({record.settings.model_type}) for {strip.name}")
        return {"FINISHED"}


def _queue(operator, context, operation: FinishOperation, **options) -> set[str]:
    strip = compat.active_strip(context)
    try:
        record = finishing.queue_finish(context.scene, strip, operation, **options)
    except DirectorError as error:
        return report_error(operator, error)
    operator.report({"INFO"}, f"Queued {record.label} (channel {record.slot.channel})")
    return {"FINISHED"}


class MOVIE_DIRECTOR_MT_finish(bpy.types.Menu):
    bl_idname = "MOVIE_DIRECTOR_MT_finish"
    bl_label = "Movie Director"

    def draw(self, context) -> None:
        layout = self.layout
        layout.operator_context = "INVOKE_DEFAULT"
        layout.operator(MOVIE_DIRECTOR_OT_upscale_strip.bl_idname, icon="FULLSCREEN_ENTER")
        layout.operator(MOVIE_DIRECTOR_OT_smooth_strip.bl_idname, icon="IPO_EASE_IN_OUT")
        layout.operator(MOVIE_DIRECTOR_OT_add_sound_strip.bl_idname, icon="SOUND")


def strip_menu(self, context) -> None:
    self.layout.separator()
    self.layout.menu(MOVIE_DIRECTOR_MT_finish.bl_idname, icon="SEQ_STRIP_DUPLICATE")


def register_menu() -> None:
    menu = getattr(bpy.types, "SEQUENCER_MT_strip", None)
    if menu is not None:
        menu.append(strip_menu)


def unregister_menu() -> None:
    menu = getattr(bpy.types, "SEQUENCER_MT_strip", None)
    if menu is not None:
        try:
            menu.remove(strip_menu)
        except ValueError:
            pass


classes = (MOVIE_DIRECTOR_OT_upscale_strip, MOVIE_DIRECTOR_OT_smooth_strip, MOVIE_DIRECTOR_OT_add_sound_strip,
           MOVIE_DIRECTOR_MT_finish)
