"""Enabling the add-on stays light: pydantic, gradio_client, httpx, the client, the job manager and the
launcher (argparse, socket) are imported on first use (the first Generate, the Director tab's first
draw, a project with jobs, Start Server), never by register() nor by Blender's start-up file loading
after it.

Blender enables every extension at start-up, so what register() imports is paid at every start
(`make bench` measures it: about 20 ms warm instead of about 80). A fresh process per check: this
session has imported everything long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_enable_imports_no_pydantic_client_or_job_manager(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BLENDER_USER_RESOURCES"}
    done = subprocess.run([sys.executable, "-m", "devtools.bench.enable", str(tmp_path / "user"), "ours"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    enabled = json.loads(done.stdout.strip().splitlines()[-1])
    assert enabled["heavy"] == [], (
        f"enabling the add-on imported {enabled['heavy']}: import them inside the function that needs them "
        "(or under TYPE_CHECKING for annotations)")
    # Blender then loads its start-up file: a new project has no jobs and no library, nothing to import
    assert enabled["heavy_after_load"] == [], f"loading a new file imported {enabled['heavy_after_load']}"


def test_the_preset_template_default_is_the_presets_placeholder(addon) -> None:
    from blender_movie_director.common.presets import PLACEHOLDER

    presets = addon.ui.presets
    assert presets.PLACEHOLDER == PLACEHOLDER
