import bpy

from ...common.enums import OutputKind
from ...common.errors import DirectorError
from .. import properties, queueing, timing
from ._common import SceneOperator, report_error


class MOVIE_DIRECTOR_OT_generate(SceneOperator, bpy.types.Operator):
    """Queue a clip from the Director panel's prompt; it lands at the playhead when done"""

    bl_idname = "movie_director.generate"
    bl_label = "Generate"

    def execute(self, context: bpy.types.Context) -> set[str]:
        props = context.scene.movie_director
        model = queueing.known_models().get(props.model)
        settings, slot_frames = props.to_settings(), None
        if model is not None and model.output is OutputKind.VIDEO and model.fps:
            # the duration is scene time: the model's frames cover it at the model's fps
            shot = timing.panel_timing(context.scene, model)
            if not shot.fits:
                self.report({"ERROR"}, shot.too_long_message + ": shorten it, or pick a model with a sliding window")
                return {"CANCELLED"}
            settings["video_length"], slot_frames = shot.model_frames, shot.slot_frames
        try:
            record = queueing.queue_generation(context.scene, settings, channel=props.channel,
                                               frame_start=context.scene.frame_current, slot_frames=slot_frames)
        except DirectorError as error:
            return report_error(self, error)
        model = properties.model_info(record.settings.model_type)
        self.report({"INFO"}, f"Queued {record.settings.video_length} frames of {model.name if model else record.settings.model_type}"
                              f" at frame {record.slot.frame_start}, channel {record.slot.channel}")
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_generate,)
