"""Blender's own extension builder and validator: the stdlib script `blender_ext.py` inside the bpy
wheel (what `blender --command extension build|validate` runs), run with this plain Python."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from .targets import REPO

_IN_BPY = Path("scripts/addons_core/bl_pkg/cli/blender_ext.py")
_TAGS = Path("scripts/modules/_bpy_internal/extensions/tags.py")  # the tag list Blender's CLI checks against


class ExtensionToolError(RuntimeError):
    pass


class BlenderExt:
    def __init__(self, script: Path) -> None:
        self.script = script
        self.version_dir = script.parents[len(_IN_BPY.parts) - 1]  # bpy/5.0
        self.tags = self.version_dir / _TAGS

    @property
    def blender_version(self) -> str:
        return self.version_dir.name

    def _run(self, *args: str) -> str:
        result = subprocess.run([sys.executable, str(self.script), *args], capture_output=True, text=True, check=False)
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0:
            raise ExtensionToolError(f"blender_ext.py {args[0]} (Blender {self.blender_version}) failed:\n{output}")
        return output

    def validate(self, path: Path) -> str:
        return self._run("validate", "--valid-tags", str(self.tags), str(path))

    def build(self, source: Path, output_dir: Path) -> list[Path]:
        """One zip per platform the manifest declares (each with only that platform's wheels)."""
        output_dir.mkdir(parents=True, exist_ok=True)
        for old in output_dir.glob("*.zip"):
            old.unlink()
        self._run("build", "--source-dir", str(source), "--output-dir", str(output_dir),
                  "--valid-tags", str(self.tags), "--split-platforms")
        return sorted(output_dir.glob("*.zip"))


def find(explicit: str | Path | None = None) -> BlenderExt:
    """--blender-ext, $BMD_BLENDER_EXT, the bpy of this Python, else the newest bpy venv of the repo."""
    candidates = [Path(p) for p in (explicit, os.environ.get("BMD_BLENDER_EXT")) if p]
    spec = importlib.util.find_spec("bpy")  # finds the package without importing Blender
    if spec is not None and spec.submodule_search_locations:
        candidates += sorted(Path(next(iter(spec.submodule_search_locations))).glob(f"*/{_IN_BPY}"))
    candidates += sorted(REPO.glob(f".venv/blender-*/lib/python3.*/site-packages/bpy/*/{_IN_BPY}"), reverse=True)
    for candidate in candidates:
        if candidate.is_file():
            return BlenderExt(candidate)
    raise ExtensionToolError("Blender's blender_ext.py was not found: run `bash scripts/setup.sh blender-5.0` "
                             "or pass --blender-ext /path/to/bpy/<ver>/" + str(_IN_BPY))
