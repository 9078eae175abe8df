import bpy
from bpy.props import BoolProperty

from ...common.errors import DirectorError
from .. import compat, queueing, sequencer, takes
from ._common import report_error


class MOVIE_DIRECTOR_OT_regenerate(bpy.types.Operator):
    """Generate the active Director strip again from its settings (same seed, or a new one for a variation)"""

    bl_idname = "movie_director.regenerate"
    bl_label = "Regenerate"
    bl_options = {"REGISTER"}

    variation: BoolProperty(name="Variation", default=False, description="Use a new random seed")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = compat.active_strip(context) if context.scene else None
        return strip is not None and "bmd_settings" in strip

    def execute(self, context: bpy.types.Context) -> set[str]:
        strip = compat.active_strip(context)
        try:
            settings = sequencer.settings_json_of(strip)
            if self.variation:
                settings["seed"] = -1
            group = takes.group_of(strip)  # a take of the same clip: Keep picks between them
            strip["bmd_take_group"] = group
            queueing.queue_generation(context.scene, settings, channel=strip.channel + takes.channels_of(context.scene, strip),
                                      frame_start=int(strip.frame_final_start),
                                      slot_frames=int(strip.frame_final_duration),
                                      label=("variation " if self.variation else "") + settings["prompt"][:30],
                                      placeholder_tags={"bmd_take_group": group,
                                                        "bmd_take": takes.next_take(context.scene, group)})
        except DirectorError as error:
            return report_error(self, error)
        self.report({"INFO"}, "Queued a variation" if self.variation else f"Queued again with seed {settings['seed']}")
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_regenerate,)
