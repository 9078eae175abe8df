"""Server buttons: connect (refresh status and models), start and stop the local launcher."""

import bpy

from .. import addon, server_control


class MOVIE_DIRECTOR_OT_connect(bpy.types.Operator):
    """Connect to the Director server and refresh its status and model list (in the background)"""

    bl_idname = "movie_director.connect"
    bl_label = "Connect"
    bl_description = "Connect to the Director server at the Server URL and refresh its status and models"
    bl_options = {"INTERNAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        manager = addon.manager()
        manager.set_url(addon.server_url())
        manager.refresh_server()
        manager.start()
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_start_server(bpy.types.Operator):
    """Start a local Director server with the launcher (simulated engine unless set otherwise)"""

    bl_idname = "movie_director.start_server"
    bl_label = "Start Server"
    bl_options = {"INTERNAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        addon.manager().start()
        server_control.start()
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_stop_server(bpy.types.Operator):
    """Stop the local Director server this Blender started"""

    bl_idname = "movie_director.stop_server"
    bl_label = "Stop Server"
    bl_options = {"INTERNAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        server_control.stop()
        addon.manager().refresh_server()
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_connect, MOVIE_DIRECTOR_OT_start_server, MOVIE_DIRECTOR_OT_stop_server)
