"""Runs INSIDE the real Blender program, started again after the tour with the same user folder and
the saved project (`blender -b project.blend --python restart.py -- request.json`): is the add-on
still enabled, do its bundled wheels still import, what did the .blend keep, which jobs came back
from the journal. Writes results/<report>; imports nothing from the repository.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from pathlib import Path

import bpy

ADDON = "bl_ext.user_default.blender_movie_director"
REQUEST = json.loads(Path(sys.argv[sys.argv.index("--") + 1]).read_text())
WHEEL_MODULES = ("pydantic", "pydantic_core", "gradio_client", "httpx", "huggingface_hub", "yaml", "idna", "certifi")


def addon_ui(name: str):
    """The add-on's UI module `name`: the one place that knows its package layout."""
    return importlib.import_module(f"{ADDON}.ui.{name}")


def main(report: dict) -> None:
    report["blender"] = bpy.app.version_string
    report["enabled"] = ADDON in bpy.context.preferences.addons
    report["addons"] = sorted(a.module for a in bpy.context.preferences.addons)
    report["extensions_site"] = str(Path(bpy.utils.user_resource("EXTENSIONS")) / ".local")
    modules = {}
    for name in WHEEL_MODULES:
        try:
            modules[name] = {"file": importlib.import_module(name).__file__}
        except Exception as error:
            modules[name] = {"error": repr(error)}
    report["modules"] = modules
    report["addon_file"] = importlib.import_module(ADDON).__file__
    report["scene_property"] = hasattr(bpy.types.Scene, "movie_director")
    report["filepath"] = bpy.data.filepath
    editor = bpy.context.scene.sequence_editor
    strips = list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all) if editor else []
    report["strips"] = [{
        "name": s.name, "type": s.type, "channel": s.channel, "frame_start": s.frame_final_start,
        "frames": s.frame_final_duration,
        "props": {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in s.items()
                  if k.startswith("bmd_")},
        "filepath": getattr(s, "filepath", ""),
        "file_exists": bool(getattr(s, "filepath", "")) and Path(bpy.path.abspath(s.filepath)).is_file(),
    } for s in strips]
    manager = addon_ui("addon").manager_if_running()  # the load_post handler made it to restore the journal
    report["restored_jobs"] = [{"id": r.id, "state": r.state.value, "placed": r.placed, "error": r.error}
                               for r in (manager.jobs() if manager else [])]


if __name__ == "__main__":
    report: dict = {"error": ""}
    try:
        main(report)
    except Exception:
        report["error"] = traceback.format_exc()
    finally:
        Path(REQUEST["results"], REQUEST["report"]).write_text(json.dumps(report, indent=1, default=str))
        sys.stdout.flush()
    os._exit(0)
