"""Who this Blender is to the Director server, across sessions.

The server shows and cancels a job for the client that sent it only (its X-BMD-Client id). A Blender
reopened after a crash must still be that client to fetch what the server finished for it, so the
add-on keeps one id in its user folder instead of picking a new one per session.
"""

from __future__ import annotations

import re
from pathlib import Path

import bpy

from ..common.atomic import write_text_atomically
from ..common.protocol import CLIENT_ID_PATTERN, new_client_id

_cached: list[str] = []


def client_id() -> str:
    if not _cached:
        _cached.append(_load())
    return _cached[0]


def _load() -> str:
    package = __package__.rsplit(".", 1)[0]  # the add-on's package, as addon.ADDON_PACKAGE
    try:
        path = Path(bpy.utils.extension_path_user(package, create=True)) / "client_id"
    except (ValueError, AttributeError):  # enabled as a legacy add-on: one id per session
        return new_client_id()
    try:
        found = path.read_text(encoding="utf-8").strip()
        if re.fullmatch(CLIENT_ID_PATTERN, found):
            return found
    except OSError:
        pass
    fresh = new_client_id()
    try:
        write_text_atomically(path, fresh)
    except OSError:
        pass  # a read-only user folder: this session keeps the fresh one
    return fresh
