"""Small job-list buttons: cancel, retry, see the error, clear finished ones."""

import bpy
from bpy.props import StringProperty

from .. import addon, text_block, tick


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
        return {"FINISHED"}  # the dialog only shows the error: OK closes it

    def invoke(self, context: bpy.types.Context, event) -> set[str]:
        return context.window_manager.invoke_popup(self, width=560)

    def draw(self, context: bpy.types.Context) -> None:
        record = addon.manager().get(self.job_id)
        message = (record.error if record else "") or tick.placement_error(self.job_id) or "No error recorded"
        hint = record.error_hint if record else ""
        text_block.draw(self.layout, message, width=84, icon="ERROR")
        if hint:
            text_block.draw(self.layout.column(), "What to do: " + hint, width=84, icon="INFO")
        if record is not None and record.error_detail:
            self.layout.label(text=f"Stage: {record.error_detail}")


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
