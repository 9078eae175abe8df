"""The servers of the preferences as the job side sees them, and the add-on's pool over them.
Imports no other add-on state (ui/addon.py calls pool_manager; ui/servers.py draws the list)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import bpy

if TYPE_CHECKING:  # the jobs modules need pydantic: imported on first use, never on the enable path
    from ..client.wan2gp_client import Wan2GPClient
    from ..jobs.dispatch import ServerPool
    from ..jobs.server_pool import ServerEntry


def entries(prefs: Any, first_url: str) -> list[ServerEntry]:
    """The enabled servers: the Server URL first, then the list's enabled entries, each once. With
    Blender's online access off, only servers on this computer are used from the list (the first one is
    checked when a job is queued, with a message)."""
    from ..common.addresses import is_loopback_url
    from ..jobs.server_pool import ServerEntry, server_list

    if prefs is None:
        return [ServerEntry(first_url)]
    online = bool(getattr(bpy.app, "online_access", True))
    extra = [(e.url, e.user, e.enabled and (online or is_loopback_url(e.url))) for e in getattr(prefs, "servers", ())]
    return server_list(first_url, extra, first_user=getattr(prefs, "server_user", ""))


def pool_manager(prefs: Any, first_url: str, client_factory: Callable[[str], Wan2GPClient]) -> ServerPool | None:
    """The add-on's job manager when several servers are set: a ServerPool over them (None for one)."""
    from ..jobs.dispatch import ServerPool
    from ..jobs.manager import DEFAULT_SERVER_WAIT

    servers = entries(prefs, first_url)
    if len(servers) < 2:
        return None
    users = {e.key: e.user for e in servers[1:] if e.user}

    def factory(url: str) -> Wan2GPClient:
        """A server of the list with a login user of its own logs in as that user (the session's password)."""
        from ..client.wan2gp_client import Wan2GPClient
        from . import identity, login

        user = users.get(url.rstrip("/"))
        if user and login.password():
            return Wan2GPClient(url, connect_timeout=getattr(prefs, "connect_timeout", 2.0),
                                auth=(user, login.password()), client_id=identity.client_id())
        return client_factory(url)

    return ServerPool(servers, poll_interval=getattr(prefs, "poll_interval", 0.25),
                      connect_grace=getattr(prefs, "server_wait", DEFAULT_SERVER_WAIT), client_factory=factory)
