import bpy

from ...common.errors import DirectorError
from .. import properties, queueing
from ._common import SceneOperator, report_error


class MOVIE_DIRECTOR_OT_generate(SceneOperator, bpy.types.Operator):
    """Queue a clip from the Director panel's prompt; it lands at the playhead when done"""

    bl_idname = "movie_director.generate"
    bl_label = "Generate"

    def execute(self, context: bpy.types.Context) -> set[str]:
        props = context.scene.movie_director
        try:
            record = queueing.queue_generation(context.scene, props.to_settings(), channel=props.channel,
                                               frame_start=context.scene.frame_current)
        except DirectorError as error:
            return report_error(self, error)
        model = properties.model_info(record.settings.model_type)
        self.report({"INFO"}, f"Queued {record.settings.video_length} frames of {model.name if model else record.settings.model_type}"
                              f" at frame {record.slot.frame_start}, channel {record.slot.channel}")
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_generate,)
