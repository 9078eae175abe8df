"""Variations of a clip (new seeds, stacked on the channels above it) and Keep (one take stays, the
others' files go to a takes/ folder)."""

import bpy
from bpy.props import IntProperty

from ...common.errors import DirectorError
from .. import compat, queueing, sequencer, takes, timing
from ._common import SceneOperator, report_error


def _clip(context: bpy.types.Context):
    strip = compat.active_strip(context) if context.scene else None
    return strip if strip is not None and "bmd_settings" in strip else None


class MOVIE_DIRECTOR_OT_variations(SceneOperator, bpy.types.Operator):
    """Generate variations of the active clip with new seeds, stacked on the channels above it"""

    bl_idname = "movie_director.variations"
    bl_label = "Variations"

    count: IntProperty(name="Variations", default=3, min=1, max=8, description="How many takes to make")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return super().poll(context) and _clip(context) is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        strip = _clip(context)
        group = takes.group_of(strip)
        strip["bmd_take_group"] = group
        if "bmd_take" not in strip:
            strip["bmd_take"] = 0
        first = takes.next_take(scene, group)
        slot_frames = int(strip.frame_final_duration)
        step = timing.channels_needed(int(strip.get("bmd_frames", slot_frames)), slot_frames)
        channel = strip.channel + takes.channels_of(scene, strip)
        queued = 0
        try:
            settings = sequencer.settings_json_of(strip)
            for take in range(first, first + self.count):
                varied = {**settings, "seed": -1}
                tags = {"bmd_take_group": group, "bmd_take": take}
                if "bmd_shot" in strip:
                    tags["bmd_shot"] = strip["bmd_shot"]
                record = queueing.queue_generation(
                    scene, varied, channel=channel, frame_start=int(strip.frame_final_start), slot_frames=slot_frames,
                    label=f"take {take + 1}: {settings['prompt']}"[:queueing.LABEL_CHARS], placeholder_tags=tags)
                channel = record.slot.channel + step
                queued += 1
        except DirectorError as error:
            if not queued:
                return report_error(self, error)
            self.report({"WARNING"}, f"Queued {queued}; then: {error}")
            return {"FINISHED"}
        self.report({"INFO"}, f"Queued {queued} variation(s) above {strip.name}")
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_keep_take(SceneOperator, bpy.types.Operator):
    """Keep the active take: the clip's other takes leave the timeline and their files go to a takes folder"""

    bl_idname = "movie_director.keep_take"
    bl_label = "Keep This Take"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = _clip(context) if context.scene else None
        return strip is not None and len(takes.members(context.scene, takes.group_of(strip))) > 1

    def execute(self, context: bpy.types.Context) -> set[str]:
        strip = _clip(context)
        try:
            moved = takes.keep(context.scene, strip)
        except OSError as error:
            self.report({"ERROR"}, f"Could not move a take's file: {error}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Kept {strip.name}; {len(moved)} other take(s) moved to takes/")
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_variations, MOVIE_DIRECTOR_OT_keep_take)
