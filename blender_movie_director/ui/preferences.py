"""Add-on preferences (saved in Blender's user preferences, never in a .blend)."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ..common.addresses import DEFAULT_URL
from ..jobs.defaults import DEFAULT_SERVER_WAIT
from . import login, presets
from . import servers as more_servers
from .addon import ADDON_PACKAGE


def _server_url_changed(self, context) -> None:
    """The job manager follows the preference at once (the Server panel shows it; Connect refreshes)."""
    from .addon import manager_if_running, server_url

    manager = manager_if_running()
    if manager is not None:
        manager.set_url(server_url())


def _server_wait_changed(self, context) -> None:
    from .addon import manager_if_running

    manager = manager_if_running()
    if manager is not None:
        manager.connect_grace = self.server_wait


class MOVIE_DIRECTOR_preferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_PACKAGE

    server_url: StringProperty(name="Server URL", default=DEFAULT_URL, update=_server_url_changed,
                               description="The Director server (Start Server in the Director panel starts one here)")
    server_user: StringProperty(name="User", description="Login for a server started with BMD_SERVER_AUTH")
    wan2gp_dir: StringProperty(name="Wan2GP Folder", subtype="DIR_PATH",
                               description="Your Wan2GP checkout, for the real engine")
    server_python: StringProperty(name="Server Python", subtype="FILE_PATH",
                                  description="Wan2GP's Python (its venv); empty: found automatically")
    simulate: BoolProperty(name="Simulated Engine", default=True,
                           description="Start the server without a GPU: real mp4s, no AI")
    output_policy: EnumProperty(name="Clips Folder", items=[
        ("PROJECT", "Beside the .blend", "//movie_director/ beside the saved file (user folder if unsaved)"),
        ("CUSTOM", "Custom Folder", "Always the folder below")], default="PROJECT")
    custom_output_dir: StringProperty(name="Folder", subtype="DIR_PATH")
    poll_interval: FloatProperty(name="Poll Interval", default=0.25, min=0.05, max=5.0, unit="TIME_ABSOLUTE",
                                 description="How often job progress is checked")
    connect_timeout: FloatProperty(name="Connect Timeout", default=2.0, min=0.2, max=30.0, unit="TIME_ABSOLUTE")
    server_wait: FloatProperty(name="Wait for Server", default=DEFAULT_SERVER_WAIT, min=5.0, max=3600.0,
                               unit="TIME_ABSOLUTE", update=_server_wait_changed,
                               description="How long queued jobs wait for a server that does not answer (it is "
                                           "restarting; real Wan2GP takes minutes to start) before they fail")
    servers: CollectionProperty(type=more_servers.MOVIE_DIRECTOR_server_entry)  # more servers (ui/servers.py)
    server_index: IntProperty(name="Server")
    user_presets: CollectionProperty(type=presets.MOVIE_DIRECTOR_user_preset)  # style presets (ui/presets.py)
    preset_index: IntProperty(name="Preset")

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "server_url")
        row = layout.row(align=True)
        row.prop(self, "server_user")
        row.operator(login.MOVIE_DIRECTOR_OT_set_server_password.bl_idname,
                     text="Password set (this session)" if login.password() else "Set Password…", icon="LOCKED")
        more_servers.draw_preferences(layout, self)
        box = layout.box()
        box.label(text="Local server (launcher)")
        box.prop(self, "simulate")
        box.prop(self, "wan2gp_dir")
        box.prop(self, "server_python")
        layout.prop(self, "output_policy")
        if self.output_policy == "CUSTOM":
            layout.prop(self, "custom_output_dir")
        row = layout.row()
        row.prop(self, "poll_interval")
        row.prop(self, "connect_timeout")
        layout.prop(self, "server_wait")
        box = layout.box()
        box.label(text="Style Presets", icon="COLOR")
        presets.draw_manager(box, self)


classes = (*presets.preference_classes, *more_servers.preference_classes, MOVIE_DIRECTOR_preferences, *login.classes)
