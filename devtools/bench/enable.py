"""Run by a bpy venv's Python, a fresh process per sample: one enable of an extension, as the Blender
program does it at start-up (register() restricted), timed around addon_utils.enable.

    python -m devtools.bench.enable USER_RESOURCES (ours|empty)   → JSON on the last line

The extension is staged once per USER_RESOURCES folder and kept, with the bytecode Python writes
beside it on the first enable: every start after the first one runs from it, as a user's does.
`empty` is an extension whose register() does nothing: what enabling any extension costs in Blender.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

EMPTY_ID = "bmd_bench_empty"
EMPTY_MANIFEST = f"""schema_version = "1.0.0"
id = "{EMPTY_ID}"
version = "1.0.0"
name = "Benchmark: empty"
tagline = "An extension that does nothing"
maintainer = "benchmark"
type = "add-on"
blender_version_min = "4.2.0"
license = ["SPDX:GPL-3.0-or-later"]
"""
WATCHED = ("pydantic", "gradio_client", "httpx", "jobs.manager", "client.wan2gp_client", "launcher.process",
           "statistics")  # kept off the enable path


def main(user_resources: Path, which: str) -> dict:
    os.environ["BLENDER_USER_RESOURCES"] = str(user_resources)
    sys.dont_write_bytecode = False  # as in a user's Blender (the test harness may turn it off)
    import importlib

    import bpy  # first: it puts Blender's own modules (addon_utils) on the path

    addon_utils = importlib.import_module("addon_utils")

    from devtools.blender import restricted_like_blender
    from devtools.extension.targets import MANIFEST

    repos = bpy.context.preferences.extensions.repos
    repo = Path(next(r.directory for r in repos if r.module == "user_default"))
    if which == "ours":
        module, folder = "bl_ext.user_default.blender_movie_director", repo / "blender_movie_director"
        if not folder.exists():
            shutil.copytree(Path(__file__).resolve().parents[2] / "blender_movie_director", folder,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            shutil.copy(MANIFEST, folder / MANIFEST.name)
    else:
        module, folder = f"bl_ext.user_default.{EMPTY_ID}", repo / EMPTY_ID
        if not folder.exists():
            folder.mkdir(parents=True)
            (folder / "blender_manifest.toml").write_text(EMPTY_MANIFEST)
            (folder / "__init__.py").write_text("def register():\n    pass\n\n\ndef unregister():\n    pass\n")
    before = set(sys.modules)

    def fail(exc: Exception) -> None:
        raise exc

    started, cpu = time.perf_counter(), time.process_time()
    with restricted_like_blender():
        addon_utils.enable(module, default_set=True, handle_error=fail)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if module not in bpy.context.preferences.addons:
        raise RuntimeError(f"{module} did not enable")
    new = set(sys.modules) - before
    result = {"wall_ms": wall * 1000, "cpu_ms": cpu * 1000, "modules": len(new), "heavy": _heavy(new)}
    if which == "ours":  # then what Blender does next at start-up: its start-up file loads (load_post)
        bpy.ops.wm.read_homefile(use_empty=True)
        result["heavy_after_load"] = _heavy(set(sys.modules) - before)
    return result


def _heavy(modules: set[str]) -> list[str]:
    return sorted({w for w in WATCHED for m in modules if m == w or m.startswith(w + ".") or m.endswith("." + w)})


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2])))
    sys.stdout.flush()
    os._exit(0)
