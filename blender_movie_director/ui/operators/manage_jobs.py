"""Small job-list buttons: cancel, retry, see the error, clear finished ones."""

import bpy
from bpy.props import StringProperty

from .. import addon, tick


class MOVIE_DIRECTOR_OT_cancel_job(bpy.types.Operator):
    """Cancel this job (the server stops working on it)"""

    bl_idname = "movie_director.cancel_job"
    bl_label = "Cancel Job"
    bl_options = {"INTERNAL"}

    job_id: StringProperty()

    def execute(self, context: bpy.types.Context) -> set[str]:
        addon.manager().cancel(self.job_id)
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_retry_job(bpy.types.Operator):
    """Queue this finished, failed or cancelled job again, for the same slot"""

    bl_idname = "movie_director.retry_job"
    bl_label = "Retry Job"
    bl_options = {"INTERNAL"}

    job_id: StringProperty()

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .. import sequencer

        record = addon.manager().retry(self.job_id)
        if record is None:
            self.report({"WARNING"}, "Only a finished, failed or cancelled job can be retried")
            return {"CANCELLED"}
        scene = bpy.data.scenes.get(record.slot.scene)
        if scene is not None:
            sequencer.add_placeholder(scene, record)
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_show_job_error(bpy.types.Operator):
    """Show the whole error of this job"""

    bl_idname = "movie_director.show_job_error"
    bl_label = "Job Error"
    bl_options = {"INTERNAL"}

    job_id: StringProperty()

    def execute(self, context: bpy.types.Context) -> set[str]:
        record = addon.manager().get(self.job_id)
        text = (record.error if record else "") or tick.placement_error(self.job_id) or "No error recorded"
        self.report({"ERROR"}, text)
        return {"FINISHED"}

    def invoke(self, context: bpy.types.Context, event) -> set[str]:
        return context.window_manager.invoke_props_dialog(self, width=520)

    def draw(self, context: bpy.types.Context) -> None:
        record = addon.manager().get(self.job_id)
        text = (record.error if record else "") or tick.placement_error(self.job_id) or "No error recorded"
        for line in _wrap(text, 80):
            self.layout.label(text=line)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, width) or [""])]


class MOVIE_DIRECTOR_OT_clear_finished(bpy.types.Operator):
    """Remove finished, failed and cancelled jobs from the list (clips stay on the timeline and on disk)"""

    bl_idname = "movie_director.clear_finished"
    bl_label = "Clear Finished"
    bl_options = {"INTERNAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        manager = addon.manager()
        for record in manager.jobs():
            if record.state.is_terminal and tick.is_placed(record.id):
                manager.forget(record.id)
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_cancel_job, MOVIE_DIRECTOR_OT_retry_job, MOVIE_DIRECTOR_OT_show_job_error,
           MOVIE_DIRECTOR_OT_clear_finished)
