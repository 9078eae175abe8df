"""The add-on's shared state: its package name, preferences, the one job manager, output folders."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import bpy

from ..common.addresses import DEFAULT_URL
from . import identity
from . import login as login_store

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..jobs.manager import JobManager

ADDON_PACKAGE = __package__.rsplit(".", 1)[0]  # "blender_movie_director" or "bl_ext.<repo>.blender_movie_director"

_manager: JobManager | None = None


def prefs() -> bpy.types.AddonPreferences | None:
    addon = bpy.context.preferences.addons.get(ADDON_PACKAGE)
    return addon.preferences if addon else None


def server_url() -> str:
    p = prefs()
    return (p.server_url if p else DEFAULT_URL).strip() or DEFAULT_URL


def login() -> tuple[str, str] | None:
    """The server login from the preferences (the password is never saved), else the environment."""
    p = prefs()
    if p is not None and p.server_user and login_store.password():
        return p.server_user, login_store.password()
    return None  # Wan2GPClient falls back to BMD_SERVER_AUTH


def manager() -> JobManager:
    """The job manager, created on first use with the preferences' URL and poll interval."""
    from ..client.wan2gp_client import Wan2GPClient  # on first use: never on the enable path
    from ..jobs.manager import DEFAULT_SERVER_WAIT, JobManager

    global _manager
    if _manager is None:
        p = prefs()
        timeout = p.connect_timeout if p else 2.0
        login_store.scrub(p)  # a password an older version saved in the preferences: gone
        me = identity.client_id()  # one id across sessions: a Blender reopened after a crash fetches its jobs
        factory = lambda url: Wan2GPClient(url, connect_timeout=timeout, auth=login(), client_id=me)  # noqa: E731
        from .server_list import pool_manager  # several servers in the preferences: one queue across them

        _manager = pool_manager(p, server_url(), factory) or JobManager(
            server_url(), poll_interval=p.poll_interval if p else 0.25,
            connect_grace=p.server_wait if p else DEFAULT_SERVER_WAIT, client_factory=factory)
    return _manager


def manager_if_running() -> JobManager | None:
    return _manager


def shutdown_manager() -> None:
    global _manager
    if _manager is not None:
        _manager.stop()
        _manager = None


def output_dir() -> Path:
    """Where clips go: `//movie_director/` beside a saved .blend, else the extension's user folder."""
    return output_dir_for(bpy.data.filepath)


def output_dir_for(blend_file: str) -> Path:
    """Where clips of the .blend at `blend_file` go ("": an unsaved file)."""
    p = prefs()
    if p is not None and p.output_policy == "CUSTOM" and p.custom_output_dir:
        return Path(bpy.path.abspath(p.custom_output_dir))
    if blend_file:
        return Path(blend_file).parent / "movie_director"
    try:
        return Path(bpy.utils.extension_path_user(ADDON_PACKAGE, path="outputs", create=True))
    except (ValueError, AttributeError):  # enabled as a legacy add-on, not as an extension
        return Path(tempfile.gettempdir()) / "movie_director"
