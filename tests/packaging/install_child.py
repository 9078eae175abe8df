"""One Blender session, as a user has it: install the extension zip, use it, disable it, report.

test_install.py runs this with `python -I -S`, so no site-packages of the venv is on sys.path; the
only folder added is the stand-in for Blender's own (blender_site.py). Every other import then comes
from the extension's wheels or fails. Writes a JSON report the tests assert on; imports nothing from
the repository, so the code under test is the installed copy only.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

ADDON = "bl_ext.user_default.blender_movie_director"
CHECKED_MODULES = ("gradio_client", "pydantic", "pydantic_core", "yaml", "httpx", "httpx2", "huggingface_hub",
                   "anyio", "typing_extensions", "certifi", "idna")


def main(request: dict, report: dict) -> None:
    sys.path.append(request["blender_site"])  # Blender's own site-packages: bpy and what Blender ships
    import bpy

    report["blender"] = bpy.app.version_string
    report["install"] = install(bpy, request["zip"])
    module = importlib.import_module(ADDON)
    prefs = bpy.context.preferences.addons[ADDON].preferences
    prefs.server_url, prefs.poll_interval = request["server_url"], 0.05
    report["registered"] = leftovers(bpy, module.ui.tick.tick)

    scripting = importlib.import_module(ADDON + ".ui.scripting")
    clip = scripting.generate_quick_video("a lighthouse in fog", seconds=1, resolution="448x256", num_inference_steps=2)
    report["quick_video"] = {"path": str(clip.video_path), "bytes": clip.video_path.stat().st_size,
                             "frames": clip.frames, "size": [clip.width, clip.height]}
    report["timeline"] = place_on_timeline(bpy, module, scripting)
    report["modules"] = module_origins()

    report["server"] = start_own_server(module, prefs, request["server_python"])
    tick = module.ui.tick.tick
    report["before_disable"] = leftovers(bpy, tick, report["server"].get("pid"))
    report["disable"] = sorted(bpy.ops.preferences.addon_disable(module=ADDON))
    report["after_disable"] = leftovers(bpy, tick, report["server"].get("pid"))


def install(bpy, zip_path: str) -> dict:
    started = time.monotonic()
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    user = Path(bpy.utils.user_resource("EXTENSIONS"))
    return {"result": sorted(result), "seconds": round(time.monotonic() - started, 2),
            # the operator reports FINISHED even when extraction failed: what counts is the add-on list
            "enabled": ADDON in bpy.context.preferences.addons,
            "site_packages": str(user / ".local" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
                                 / "site-packages"),
            "extension_dir": str(user / "user_default" / "blender_movie_director")}


def place_on_timeline(bpy, module, scripting) -> dict:
    """The panel's path: the job manager's worker thread, the timer tick placing the clip."""
    scene = bpy.context.scene
    record = scripting.queue_job("a gull over the waves", model="t2v_1.3B", frames=17, frame=1, channel=2,
                                 resolution="448x256", num_inference_steps=2)
    manager = module.ui.addon.manager()
    deadline = time.monotonic() + 60
    while not (manager.get(record.id).state.is_terminal and module.ui.tick.is_placed(record.id)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"job still {manager.get(record.id).state} after 60 s")
        module.ui.tick.tick()  # bpy.app.timers never fire in the bpy module: drive the tick by hand
        time.sleep(0.02)
    editor = scene.sequence_editor
    strips = editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all
    return {"state": manager.get(record.id).state.value, "error": manager.get(record.id).error or "",
            "strips": [[s.type, s.channel, s.frame_final_start, s.frame_final_duration] for s in strips
                       if "bmd_model" in s]}


def start_own_server(module, prefs, server_python: str) -> dict:
    """The panel's Start button: the add-on launches a simulated server it must stop on disable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    prefs.server_python, prefs.simulate, prefs.server_url = server_python, True, f"http://127.0.0.1:{port}"
    control = module.ui.server_control
    control.start()
    deadline = time.monotonic() + 90
    while (state := control.state())["starting"] or not (state["running"] or state["error"]):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    server = control._server
    return {"running": state["running"], "error": state["error"], "pid": server.pid if server else None}


def leftovers(bpy, tick, server_pid: int | None = None) -> dict:
    """Everything registration adds; after unregistration each list must be empty."""
    handlers = []
    for name in dir(bpy.app.handlers):
        callbacks = getattr(bpy.app.handlers, name)
        if isinstance(callbacks, list):
            handlers += [f"{name}:{h.__name__}" for h in callbacks
                         if h.__name__.startswith("bmd_") or getattr(h, "__module__", "").startswith(ADDON)]
    return {"classes": sorted(n for n in dir(bpy.types) if n.startswith("MOVIE_DIRECTOR_")),
            "scene_property": hasattr(bpy.types.Scene, "movie_director"),
            "timer": bpy.app.timers.is_registered(tick),
            "handlers": handlers,
            "threads": sorted(t.name for t in threading.enumerate() if t.name.startswith("bmd-")),
            "server_alive": server_pid is not None and process_alive(server_pid)}


def process_alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited (its parent has not reaped it yet)


def module_origins() -> dict:
    origins = {name: getattr(importlib.import_module(name), "__file__", None) for name in CHECKED_MODULES}
    return {"origins": origins, "sys_path": list(sys.path),
            "all_files": sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})}


if __name__ == "__main__":
    request = json.loads(Path(sys.argv[1]).read_text())
    report: dict = {}
    try:
        main(request, report)
    except Exception:  # the report carries the failure to the test, which shows it
        report["error"] = traceback.format_exc()
    finally:
        Path(request["report"]).write_text(json.dumps(report, indent=1, default=str))
        pid = report.get("server", {}).get("pid")
        if pid and process_alive(pid):  # never leave a server behind, even when the test fails
            os.kill(pid, 15)
    os._exit(0)  # Blender's atexit handlers are not under test here
