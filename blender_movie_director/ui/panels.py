"""The Sequencer sidebar's "Director" tab: server, shot settings, jobs, the active strip."""

from __future__ import annotations

import bpy

from ..common.enums import JobState, ModelGroup, OutputKind
from . import addon, compat, properties, server_control, text_block, tick, timing
from . import servers as more_servers
from .operators import from_strips, generate, generate_from_text_strips, image_to_video, manage_jobs, regenerate, server
from .projects import journal_path


class _DirectorPanel:
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Director"


class MOVIE_DIRECTOR_PT_server(_DirectorPanel, bpy.types.Panel):
    bl_label = "Server"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        info = addon.manager().server
        local = server_control.state()
        url = addon.server_url()  # what the preferences say now, even before Connect
        connected = info.connected and info.url.rstrip("/") == url.rstrip("/")
        row = layout.row(align=True)
        row.label(text=url, icon="LINKED" if connected else "UNLINKED")
        row.operator(server.MOVIE_DIRECTOR_OT_connect.bl_idname, text="Connect", icon="PLUGIN")
        if info.status is not None and connected:
            s = info.status
            if s.engine.value == "wangp":
                version = f" {s.wan2gp_version}" if s.wan2gp_version else ""
                layout.label(text=f"WanGP{version} · {s.device}"
                                  + (f" · {s.vram_free_gb:.0f}/{s.vram_total_gb:.0f} GB free" if s.vram_total_gb else ""))
            else:
                layout.label(text="Simulated engine (no GPU: test clips, no AI)")
            waiting = s.queue_length or 0
            layout.label(text=(f"Generating · {waiting} waiting" if s.busy else f"Idle · {waiting} waiting"),
                         icon="RENDER_ANIMATION" if s.busy else "TIME")
        elif info.error:
            _error_lines(layout, info.error, info.error_hint)
        elif not connected:
            layout.label(text="Not connected: press Connect", icon="INFO")
        if local["starting"]:
            layout.label(text="Starting the local server…", icon="SORTTIME")
        elif local["running"]:
            layout.operator(server.MOVIE_DIRECTOR_OT_stop_server.bl_idname, icon="CANCEL")
        elif not connected:  # a server that answers needs no starting
            layout.operator(server.MOVIE_DIRECTOR_OT_start_server.bl_idname, icon="PLAY")
        if local["error"]:
            _error_lines(layout, str(local["error"]), str(local.get("hint", "")))
        more_servers.draw_panel(layout)  # every server of the list, when there are several
        layout.label(text="Video models by WanGP (DeepBeepMeep)", icon="INFO")


class MOVIE_DIRECTOR_PT_generate(_DirectorPanel, bpy.types.Panel):
    bl_label = "Shot"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        props = context.scene.movie_director
        model = properties.model_info(props.model)
        layout.prop(props, "model_group")
        layout.prop(props, "model", icon="VIEWZOOM")  # type to search the models of "What" by id, name, family
        _model_lines(layout, props, model)
        layout.label(text="Prompt")
        layout.prop(props, "prompt", text="")
        layout.prop(props, "negative_prompt")
        row = layout.row(align=True)
        row.prop(props, "use_seconds", text="Seconds" if props.use_seconds else "Frames", toggle=True)
        row.prop(props, "seconds" if props.use_seconds else "frames", text="")
        if model is not None and model.output is OutputKind.VIDEO and model.fps:
            # scene time and the model's frames, e.g. 2.0 s = 33 frames at 16 fps → 48 frames at 24 fps
            shot = timing.panel_timing(context.scene, model)
            layout.label(text=shot.describe(), icon="TIME" if shot.fits else "ERROR")
            if not shot.fits:
                text_block.draw(layout, shot.too_long_message, icon="ERROR", alert=True)
        layout.prop(props, "resolution")
        layout.prop(props, "show_advanced", icon="PREFERENCES")
        if props.show_advanced:
            col = layout.column(align=True)
            col.prop(props, "steps")
            row = col.row(align=True)
            row.prop(props, "random_seed", toggle=True)
            sub = row.row(align=True)
            sub.enabled = not props.random_seed
            sub.prop(props, "seed")
            row = col.row(align=True)
            row.prop(props, "use_guidance", toggle=True)
            sub = row.row(align=True)
            sub.enabled = props.use_guidance
            sub.prop(props, "guidance")
            col.prop(props, "channel")
        layout.operator(generate.MOVIE_DIRECTOR_OT_generate.bl_idname, icon="RENDER_ANIMATION")
        col = layout.column(align=True)
        col.operator(generate_from_text_strips.MOVIE_DIRECTOR_OT_generate_from_text_strips.bl_idname, icon="FONT_DATA")
        col.operator(image_to_video.MOVIE_DIRECTOR_OT_image_to_video.bl_idname, icon="IMAGE_DATA")
        col.operator(from_strips.MOVIE_DIRECTOR_OT_generate_from_strips.bl_idname, icon="SEQ_STRIP_META")


class MOVIE_DIRECTOR_PT_jobs(_DirectorPanel, bpy.types.Panel):
    bl_label = "Jobs"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        manager = addon.manager()
        if manager.journal_error:
            _error_lines(layout, manager.journal_error)
        records = sorted(manager.jobs(project=journal_path()), key=lambda r: r.created_at, reverse=True)  # this .blend's
        if not records:
            layout.label(text="No jobs yet")
            return
        for record in records[:JOBS_SHOWN]:
            box = layout.box()
            text_block.draw(box, record.label, width=40, icon=_STATE_ICONS.get(record.state, "DOT"), max_lines=2)
            row = box.row(align=True)
            status = record.status
            text = status.phase_label if status else record.state.value.capitalize()
            if status and status.step and status.total_steps and record.state is JobState.RUNNING:
                text += f" {status.step}/{status.total_steps}" + (f" ({status.stage})" if status.stage else "")
            if status and status.eta_seconds is not None and record.state is JobState.RUNNING:
                text += f" · {status.eta_seconds:.0f}s left"
            row = row.split(factor=0.64, align=True)  # the bar gets room; the button stays readable
            if record.state is JobState.RUNNING and hasattr(row, "progress"):
                row.progress(factor=record.progress, type="BAR", text=text)
            else:
                row.label(text=text)
            if not record.state.is_terminal:
                op = row.operator(manage_jobs.MOVIE_DIRECTOR_OT_cancel_job.bl_idname, text="Cancel", icon="X")
            else:
                op = row.operator(manage_jobs.MOVIE_DIRECTOR_OT_retry_job.bl_idname, text="Retry", icon="RECOVER_LAST")
            op.job_id = record.id
            if record.server_url and more_servers.several():
                box.label(text=f"on {record.server_url}", icon="NETWORK_DRIVE")
            if record.waiting and not record.state.is_terminal:  # e.g. "Waiting for the server …: 42 s of 600 s"
                text_block.draw(box, record.waiting, icon="SORTTIME", max_lines=3)
            if record.result is not None and record.result.note:
                box.label(text=record.result.note[:90], icon="INFO")
            error = record.error or tick.placement_error(record.id)
            if error and record.state is not JobState.CANCELLED:
                _error_lines(box, error, record.error_hint, max_lines=4)
                op = box.operator(manage_jobs.MOVIE_DIRECTOR_OT_show_job_error.bl_idname, text="Details",
                                  icon="TEXT")
                op.job_id = record.id
        if len(records) > JOBS_SHOWN:
            layout.label(text=f"… and {len(records) - JOBS_SHOWN} older jobs", icon="BLANK1")
        layout.operator(manage_jobs.MOVIE_DIRECTOR_OT_clear_finished.bl_idname, icon="TRASH")
        row = layout.row(align=True)  # a render farm runs the queue file with Wan2GP's `wgp.py --process`
        row.operator("movie_director.export_wan2gp_queue", icon="EXPORT")
        row.operator("movie_director.import_wan2gp_outputs", icon="IMPORT")


class MOVIE_DIRECTOR_PT_strip(_DirectorPanel, bpy.types.Panel):
    bl_label = "Generated Strip"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = compat.active_strip(context) if context.scene else None
        return strip is not None and "bmd_model" in strip

    def draw(self, context: bpy.types.Context) -> None:
        strip = compat.active_strip(context)
        col = self.layout.column(align=True)
        col.label(text=f"{strip['bmd_model']} · seed {strip['bmd_seed']}")
        col.label(text=f"{strip['bmd_frames']} frames · {strip['bmd_fps']:g} fps · {strip['bmd_resolution']}")
        col.label(text=str(strip["bmd_prompt"])[:80])
        row = self.layout.row(align=True)
        row.operator(regenerate.MOVIE_DIRECTOR_OT_regenerate.bl_idname, icon="LOOP_BACK").variation = False
        row.operator(regenerate.MOVIE_DIRECTOR_OT_regenerate.bl_idname, text="Variation",
                     icon="SHADERFX").variation = True


JOBS_SHOWN = 6  # the newest; more would push the other panels off a 1024-pixel screen

def _model_lines(layout, props, model) -> None:
    """The picked model: its name and family, what it needs and takes, its weights; or why it does not fit."""
    if model is None:
        text_block.draw(layout, f"'{props.model}' is not a model of this server: type part of a name to search",
                        icon="ERROR", alert=True)
        return
    text_block.draw(layout, f"{model.name} · {properties.describe_model(model)}",
                    icon="CHECKMARK" if model.available else "IMPORT", max_lines=3)
    takes = [m.label for m in model.media_inputs if m not in model.required_inputs]
    if takes:
        text_block.draw(layout, "Also takes " + ", ".join(takes), icon="BLANK1", max_lines=2)
    group = ModelGroup(props.model_group)
    if group not in model.groups:
        text_block.draw(layout, f"{model.id} does not do {group.label.lower()}: pick one from the list",
                        icon="ERROR", alert=True)


_STATE_ICONS = {
    JobState.SUBMITTING: "EXPORT", JobState.QUEUED: "SORTTIME", JobState.RUNNING: "RENDER_ANIMATION",
    JobState.DOWNLOADING: "IMPORT", JobState.SUCCEEDED: "CHECKMARK", JobState.FAILED: "ERROR",
    JobState.CANCELLED: "CANCEL", JobState.INTERRUPTED: "QUESTION",
}


def _error_lines(layout, message: str, hint: str = "", max_lines: int = 6) -> None:
    """The error in full (wrapped, not cut mid-sentence) and, apart from it, what to do."""
    text_block.draw(layout, message, icon="ERROR", alert=True, max_lines=max_lines)
    if hint:
        text_block.draw(layout, hint, icon="INFO", max_lines=max_lines)


classes = (MOVIE_DIRECTOR_PT_server, MOVIE_DIRECTOR_PT_generate, MOVIE_DIRECTOR_PT_jobs, MOVIE_DIRECTOR_PT_strip)
