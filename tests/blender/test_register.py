"""Enabling the add-on as the Blender program does: register() runs restricted and is all-or-nothing."""

from __future__ import annotations

import importlib

import addon_utils
import bpy
import pytest

from devtools.blender import ADDON, restricted_like_blender, stage_extension


def _our_classes() -> list[str]:
    return [name for name in dir(bpy.types) if name.startswith("MOVIE_DIRECTOR_")]


@pytest.fixture
def disabled(addon):
    """The add-on disabled for this test, enabled again (restricted) afterwards for the others."""
    addon_utils.disable(ADDON, default_set=True)
    yield
    if ADDON not in bpy.context.preferences.addons:
        with restricted_like_blender():
            addon_utils.enable(ADDON, default_set=True)


def test_restriction_is_what_blender_does() -> None:
    with restricted_like_blender():
        with pytest.raises(AttributeError):
            bpy.data.filepath  # noqa: B018  (the attribute access is the test)
        assert bpy.context.preferences is not None
    assert isinstance(bpy.data.filepath, str)


def test_enable_under_restriction_with_a_project_open(disabled, tmp_path) -> None:
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "open.blend"))
    errors: list[BaseException] = []
    stage_extension()
    with restricted_like_blender():
        addon_utils.enable(ADDON, default_set=True, handle_error=errors.append)
    assert not errors, errors
    assert ADDON in bpy.context.preferences.addons
    assert hasattr(bpy.types.Scene, "movie_director") and "MOVIE_DIRECTOR_PT_server" in _our_classes()


def test_failed_register_leaves_nothing_behind(disabled, monkeypatch) -> None:
    ui_tick = importlib.import_module(f"{ADDON}.ui.tick")

    def broken() -> None:
        raise RuntimeError("a step of register() failed")

    monkeypatch.setattr(ui_tick, "register", broken)
    errors: list[BaseException] = []
    with restricted_like_blender():
        addon_utils.enable(ADDON, default_set=True, handle_error=errors.append)
    assert [str(e) for e in errors] == ["a step of register() failed"]
    assert _our_classes() == [] and not hasattr(bpy.types.Scene, "movie_director")
    assert ADDON not in bpy.context.preferences.addons

    monkeypatch.undo()  # the next enable in the same session works: nothing was left registered
    errors.clear()
    with restricted_like_blender():
        addon_utils.enable(ADDON, default_set=True, handle_error=errors.append)
    assert not errors and ADDON in bpy.context.preferences.addons
    assert "MOVIE_DIRECTOR_PT_server" in _our_classes() and hasattr(bpy.types.Scene, "movie_director")
