"""The server password, for this Blender session only.

Never an RNA property: add-on preferences are written to userpref.blend whatever their options
(SKIP_SAVE does not apply to them), so a password kept there ends up on disk. It lives in this
module, set through the Set Password dialog (whose field is not remembered either), or it comes
from the environment (BMD_SERVER_AUTH=user:password).
"""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

_password = ""


def password() -> str:
    return _password


def set_password(value: str) -> None:
    global _password
    _password = value


def scrub(preferences) -> None:
    """Drop a password an older version saved in the preferences."""
    try:
        if preferences is not None and "server_password" in preferences:
            del preferences["server_password"]
    except (TypeError, KeyError):
        pass


class MOVIE_DIRECTOR_OT_set_server_password(bpy.types.Operator):
    """Give the server's password for this session (it is never saved; or set BMD_SERVER_AUTH)"""

    bl_idname = "movie_director.set_server_password"
    bl_label = "Server Password"
    bl_options = {"INTERNAL"}  # not REGISTER: not kept in the operator history either

    password: StringProperty(name="Password", subtype="PASSWORD", options={"SKIP_SAVE", "HIDDEN"})

    def invoke(self, context: bpy.types.Context, event) -> set[str]:
        return context.window_manager.invoke_props_dialog(self)

    def draw(self, context: bpy.types.Context) -> None:
        self.layout.prop(self, "password")
        self.layout.label(text="Kept until Blender closes, never saved", icon="INFO")

    def execute(self, context: bpy.types.Context) -> set[str]:
        set_password(self.password)  # the next connection logs in with it
        self.password = ""
        addon = context.preferences.addons.get(__package__.rsplit(".", 1)[0])
        scrub(addon.preferences if addon else None)
        return {"FINISHED"}


classes = (MOVIE_DIRECTOR_OT_set_server_password,)
