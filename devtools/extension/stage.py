"""The folder Blender's builder packs: the add-on package, its manifest, and the wheels it lists."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .targets import MANIFEST, REPO

PACKAGE = REPO / "blender_movie_director"


def copy_source(dest: Path) -> Path:
    """The package with the manifest beside its __init__.py: how Blender lays out an extension."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(PACKAGE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(MANIFEST, dest / MANIFEST.name)
    return dest


def stage(wheels: list[Path], dest: Path) -> Path:
    """copy_source plus ./wheels/ and the manifest's `wheels` list (kept out of the repo's manifest,
    which the dev setup in devtools/blender.py enables against the venv's packages)."""
    copy_source(dest)
    (dest / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, dest / "wheels" / wheel.name)
    manifest = dest / MANIFEST.name
    manifest.write_text(with_wheels(manifest.read_text(), [f"./wheels/{w.name}" for w in wheels]))
    return dest


def with_wheels(manifest: str, wheels: list[str]) -> str:
    """Insert a top-level `wheels = [...]` before the first [table] (top-level keys must come first)."""
    if re.search(r"^wheels\s*=", manifest, re.MULTILINE):
        raise ValueError("the manifest already lists wheels: the build adds them to a staged copy")
    listing = "wheels = [\n" + "".join(f'  "{w}",\n' for w in wheels) + "]\n"
    table = re.search(r"^\[", manifest, re.MULTILINE)
    at = table.start() if table else len(manifest)
    return manifest[:at] + listing + ("\n" if table else "") + manifest[at:]
