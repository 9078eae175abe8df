"""LoRAs in the Look panel: the server's list for the Shot panel's model (asked for off the main thread,
jobs/lora_lists.py), picked several at a time with their multipliers. A name the server does not list is
refused when the shot is queued (and again by the client before sending)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import bpy
from bpy.props import StringProperty

from ..common.errors import InvalidSettingsError
from . import addon, identity
from .list_editing import remove_active_operator

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..client.wan2gp_client import Wan2GPClient
    from ..jobs.lora_lists import LoraLists

_lists: list[LoraLists] = []


def lists() -> LoraLists:
    from ..client.wan2gp_client import Wan2GPClient
    from ..jobs.lora_lists import LoraLists

    if not _lists:
        def client(url: str) -> Wan2GPClient:
            prefs = addon.prefs()
            made = Wan2GPClient(url, connect_timeout=prefs.connect_timeout if prefs else 2.0, auth=addon.login(),
                                client_id=identity.client_id())
            made.connect()
            return made

        _lists.append(LoraLists(client))
    return _lists[0]


def forget() -> None:
    _lists.clear()


def model_of(scene: bpy.types.Scene) -> str:
    return scene.movie_director.model


def request(scene: bpy.types.Scene, *, refresh: bool = False) -> None:
    lists().request(addon.server_url(), model_of(scene), refresh=refresh)


def known(scene: bpy.types.Scene) -> list[str]:
    """The server's LoRAs for the panel's model (asked for if not yet known; [] until the answer arrives)."""
    found = lists().get(addon.server_url(), model_of(scene))
    if found is None:
        request(scene)
        return []
    return list(found.loras)


def check(scene: bpy.types.Scene, settings: dict) -> None:
    """Refuse LoRAs the server does not list for the model, when its list is known (before queueing)."""
    names = list(settings.get("activated_loras") or [])
    if not names:
        return
    found = lists().get(addon.server_url(), str(settings.get("model_type") or ""))
    if found is None:
        return  # not known yet: the client checks again before sending
    unknown = [n for n in names if n not in found.loras]
    if unknown:
        raise InvalidSettingsError("activated_loras", f"not on the server for {found.model_type}: {', '.join(unknown)}",
                                   hint="pick LoRAs from the Look panel's list (Refresh asks the server again)")
    if not found.supported:
        raise InvalidSettingsError("activated_loras", f"{found.model_type} takes no LoRAs")


class MOVIE_DIRECTOR_OT_refresh_loras(bpy.types.Operator):
    """Ask the server again which LoRAs the Shot panel's model has"""

    bl_idname = "movie_director.refresh_loras"
    bl_label = "Refresh LoRAs"
    bl_options = {"INTERNAL"}

    def execute(self, context) -> set[str]:
        request(context.scene, refresh=True)
        return {"FINISHED"}


class MOVIE_DIRECTOR_OT_add_lora(bpy.types.Operator):
    """Use a LoRA of the Shot panel's model (pick its name, set its multiplier)"""

    bl_idname = "movie_director.add_lora"
    bl_label = "Add LoRA"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    name: StringProperty(name="LoRA", description="A LoRA file from the server's list (empty: the first unused)")

    def execute(self, context) -> set[str]:
        scene = context.scene
        look = scene.movie_director_look
        model = model_of(scene)
        if look.lora_model != model:  # LoRAs belong to a model family: picks for another model make way
            look.loras.clear()
            look.lora_model = model
        used = {p.name for p in look.loras}
        name = self.name or next((n for n in known(scene) if n not in used), "")
        pick = look.loras.add()
        pick.name = name
        look.lora_index = len(look.loras) - 1
        return {"FINISHED"}


MOVIE_DIRECTOR_OT_remove_lora = remove_active_operator(
    "MOVIE_DIRECTOR_OT_remove_lora", "movie_director.remove_lora", "Remove LoRA", "Stop using the selected LoRA",
    lambda context: context.scene.movie_director_look, "loras", "lora_index")


class MOVIE_DIRECTOR_UL_loras(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        names = set(known(context.scene))
        row = layout.row(align=True)
        row.prop(item, "use", text="")
        sub = row.row(align=True)
        sub.alert = bool(names) and bool(item.name) and item.name not in names
        sub.prop(item, "name", text="", emboss=True)
        row.prop(item, "multiplier", text="")


classes = (MOVIE_DIRECTOR_OT_refresh_loras, MOVIE_DIRECTOR_OT_add_lora, MOVIE_DIRECTOR_OT_remove_lora,
           MOVIE_DIRECTOR_UL_loras)
