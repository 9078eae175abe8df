"""The linux-x64 zip installed into this venv's real bpy, in a process of its own (install_child.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SERVER_PYTHONS, start_test_server

from . import blender_site

pytestmark = pytest.mark.server
CHILD = Path(__file__).with_name("install_child.py")


@pytest.fixture(scope="module")
def report(built, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("install")
    server = start_test_server(tmp, step_seconds=0.01)
    request = {"zip": str(built.zips["linux-x64"]), "blender_site": str(blender_site.make(tmp / "blender-site")),
               "server_url": server.url, "server_python": SERVER_PYTHONS["gradio5"], "report": str(tmp / "report.json")}
    (tmp / "request.json").write_text(json.dumps(request))
    # -I -S: no venv site-packages, no PYTHONPATH, no user site; BLENDER_USER_RESOURCES isolates
    # Blender's user folder (read when bpy is imported)
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp / "user")}
    try:
        done = subprocess.run([sys.executable, "-I", "-S", str(CHILD), str(tmp / "request.json")], env=env,
                              capture_output=True, text=True, timeout=300, check=False)
    finally:
        server.stop()
    result = json.loads(Path(request["report"]).read_text()) if Path(request["report"]).exists() else {}
    assert "error" not in result and result, f"{result.get('error', '')}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result.update(venv_site_packages=str(Path(blender_site.metadata.distribution("bpy").locate_file(""))),
                  blender_site=request["blender_site"], user=env["BLENDER_USER_RESOURCES"])
    return result


def test_zip_installs_and_enables(report) -> None:
    assert report["blender"].startswith(blender_site.blender_version())
    assert report["install"]["result"] == ["FINISHED"] and report["install"]["enabled"]
    registered = report["registered"]
    assert {"MOVIE_DIRECTOR_OT_generate", "MOVIE_DIRECTOR_PT_jobs"} <= set(registered["classes"])
    assert registered["scene_property"] and registered["timer"] and registered["handlers"]


def test_dependencies_load_from_the_extension_wheels_not_the_venv(report) -> None:
    origins, wheels_dir = report["modules"]["origins"], report["install"]["site_packages"]
    shipped_by_blender = set(blender_site.SHIPPED[blender_site.blender_version()])
    for name, path in origins.items():
        # what Blender ships comes first on sys.path in the session the extension is installed in
        expected = report["blender_site"] if name in shipped_by_blender else wheels_dir
        assert path.startswith(expected + os.sep), (name, path)
    venv = report["venv_site_packages"]
    assert not [f for f in report["modules"]["all_files"] if f.startswith(venv)]
    assert venv not in report["modules"]["sys_path"]


def test_generation_completes_through_the_installed_extension(report) -> None:
    clip = report["quick_video"]
    assert clip["path"].startswith(report["user"] + os.sep)  # unsaved .blend: the extension's user folder
    assert clip["bytes"] > 1000 and clip["frames"] == 17 and clip["size"] == [448, 256]
    timeline = report["timeline"]
    assert timeline["state"] == "succeeded", timeline["error"]
    # 17 frames at Wan's 16 fps last 1.06 s: 26 frames of the default 24 fps scene (retimed to real speed)
    assert timeline["strips"] == [["MOVIE", 2, 1, 26]]


def test_disable_leaves_nothing_behind(report) -> None:
    assert report["server"]["running"], report["server"]["error"]
    before = report["before_disable"]
    assert before["server_alive"] and "bmd-jobs" in before["threads"] and before["timer"] and before["classes"]
    assert report["disable"] == ["FINISHED"]
    assert report["after_disable"] == {"classes": [], "scene_property": False, "timer": False, "handlers": [],
                                       "threads": [], "server_alive": False}
