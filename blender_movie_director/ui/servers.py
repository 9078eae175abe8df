"""Several Director servers in the preferences, and their state in the Server panel.

The preferences' single Server URL stays the first (default) server; the list below it adds more
(URL, optional login user, enabled). `configured()` is the list the server pool uses
(jobs/server_pool.server_list). The Server panel shows every server of the list (engine, busy/idle,
queue, last error) from a ServerPool whose managers poll each server on their own threads: drawing
never waits on the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import bpy
from bpy.props import BoolProperty, StringProperty

from . import addon, server_list

if TYPE_CHECKING:  # the jobs modules need pydantic: imported on first use, never on the enable path
    from ..jobs.dispatch import ServerPool
    from ..jobs.records import ServerInfo
    from ..jobs.server_pool import ServerEntry

_pool: ServerPool | None = None


class MOVIE_DIRECTOR_server_entry(bpy.types.PropertyGroup):
    url: StringProperty(name="URL", description="Another Director server (e.g. http://gpu2:7870)")
    user: StringProperty(name="User", description="Its login user, if it was started with BMD_SERVER_AUTH")
    enabled: BoolProperty(name="Enabled", default=True, description="Send jobs to this server")


class MOVIE_DIRECTOR_UL_servers(bpy.types.UIList):
    bl_idname = "MOVIE_DIRECTOR_UL_servers"

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):  # type: ignore[no-untyped-def]
        row = layout.row(align=True)
        row.prop(item, "enabled", text="")
        row.prop(item, "url", text="", emboss=False)
        row.prop(item, "user", text="")


class MOVIE_DIRECTOR_OT_add_server(bpy.types.Operator):
    """Add a Director server to the list (another GPU or machine)"""

    bl_idname = "movie_director.add_server"
    bl_label = "Add Server"
    bl_options = {"INTERNAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        prefs = addon.prefs()
        if prefs is None:
            return {"CANCELLED"}
        entry = prefs.servers.add()
        entry.url = "http://127.0.0.1:7871"
        prefs.server_index = len(prefs.servers) - 1
        _list_changed()
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_remove_server(bpy.types.Operator):
    """Remove the selected server from the list"""

    bl_idname = "movie_director.remove_server"
    bl_label = "Remove Server"
    bl_options = {"INTERNAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        prefs = addon.prefs()
        if prefs is None or not (0 <= prefs.server_index < len(prefs.servers)):
            return {"CANCELLED"}
        prefs.servers.remove(prefs.server_index)
        prefs.server_index = max(0, min(prefs.server_index, len(prefs.servers) - 1))
        _list_changed()
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_connect_servers(bpy.types.Operator):
    """Ask every server of the list for its state (each on a thread of its own: Blender does not wait)"""

    bl_idname = "movie_director.connect_servers"
    bl_label = "Connect All"

    def execute(self, context: bpy.types.Context) -> set[str]:
        pool = status_pool(create=True)
        if pool is not None:
            pool.start()
            pool.refresh_server()
        return {"FINISHED"}


def _list_changed() -> None:
    """The next job goes through a manager for the new list (made on first use), unless jobs still run
    on the current one: then the list takes effect once they ended (or the next session)."""
    running = addon.manager_if_running()
    if running is not None and not running.busy:
        addon.shutdown_manager()


def configured(prefs: object | None = None) -> list[ServerEntry]:
    """The enabled servers: the Server URL first, then the list's enabled entries (server_list.entries)."""
    return server_list.entries(prefs if prefs is not None else addon.prefs(), addon.server_url())


def several() -> bool:
    return len(configured()) > 1


def status_pool(create: bool = False) -> ServerPool | None:
    """The pool over the configured servers (rebuilt when the list changed); None for one server."""
    from ..jobs.dispatch import ServerPool

    global _pool
    running = addon.manager_if_running()
    if isinstance(running, ServerPool):
        shutdown()  # the panel's own pool, if it made one before: the add-on's shows the same servers
        return running  # the add-on's own job manager is a pool over these servers
    entries = configured()
    if len(entries) < 2:
        shutdown()
        return None
    if _pool is not None and _pool.urls != [e.key for e in entries]:
        shutdown()
    if _pool is None and create:
        _pool = ServerPool(entries, poll_interval=0.25)
    return _pool


def shutdown() -> None:
    global _pool
    if _pool is not None:
        pool, _pool = _pool, None
        pool.stop(timeout=1.0)


def infos() -> list[ServerInfo]:
    """What the Server panel shows for each configured server (not asked yet: just its URL)."""
    from ..jobs.records import ServerInfo
    from ..jobs.server_pool import normalise_url

    pool = status_pool()
    if pool is not None:
        if pool is not addon.manager_if_running():
            pool.drain()  # its status is read from the managers directly; keep their queues short
        known = {normalise_url(info.url): info for info in pool.servers()}
    else:
        known = {}
    return [known.get(e.key, ServerInfo(e.url)) for e in configured()]


def describe(info: ServerInfo) -> tuple[str, str]:
    """One line for a server: (text, icon)."""
    status = info.status
    if status is not None:
        engine = "WanGP" if status.engine.value == "wangp" else "simulated"
        state = "generating" if status.busy else "idle"
        return f"{engine} · {status.device} · {state} · {status.queue_length or 0} waiting", (
            "RENDER_ANIMATION" if status.busy else "TIME")
    if info.error:
        return f"down: {info.error}", "ERROR"
    return "not asked yet", "QUESTION"


def draw_panel(layout: bpy.types.UILayout) -> None:
    """The Server panel's list of servers (only when more than one is configured)."""
    if not several():
        return
    box = layout.box()
    row = box.row()
    row.label(text="Servers", icon="NETWORK_DRIVE")
    row.operator(MOVIE_DIRECTOR_OT_connect_servers.bl_idname, text="", icon="FILE_REFRESH")
    for info in infos():
        col = box.column(align=True)
        col.label(text=info.url, icon="LINKED" if info.connected else "UNLINKED")
        text, icon = describe(info)
        col.label(text=text[:90], icon=icon)


def draw_preferences(layout: bpy.types.UILayout, prefs: object) -> None:
    box = layout.box()
    box.label(text="More servers (jobs go to the least busy one that has the model)", icon="NETWORK_DRIVE")
    row = box.row()
    row.template_list(MOVIE_DIRECTOR_UL_servers.bl_idname, "", prefs, "servers", prefs, "server_index", rows=2)
    col = row.column(align=True)
    col.operator(MOVIE_DIRECTOR_OT_add_server.bl_idname, text="", icon="ADD")
    col.operator(MOVIE_DIRECTOR_OT_remove_server.bl_idname, text="", icon="REMOVE")


preference_classes = (MOVIE_DIRECTOR_server_entry, MOVIE_DIRECTOR_UL_servers, MOVIE_DIRECTOR_OT_add_server,
                      MOVIE_DIRECTOR_OT_remove_server, MOVIE_DIRECTOR_OT_connect_servers)
