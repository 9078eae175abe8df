"""A stand-in for a real Blender's own site-packages, to run the bpy module the way Blender runs.

A Blender install carries a few Python packages of its own beside bpy; an extension's wheels are
unpacked into a separate folder that joins sys.path after them (in the session it is installed in).
The install test runs bpy with only this folder on its path, never the venv's site-packages (which
also holds gradio_client and pydantic for the other suites), so everything else the add-on imports
must come from its own wheels.
"""

from __future__ import annotations

import zipfile
from importlib import metadata
from pathlib import Path

from devtools.extension import pip
from devtools.extension.targets import REPO

# What Blender ships that the client's dependencies also use, at Blender's own versions (from its
# build_files/build_environment/cmake/versions.cmake). 4.5 gets the 4.2 LTS numbers: the oldest the
# extension supports, so the hardest case for our code.
SHIPPED = {
    "4.5": {"certifi": "2021.10.8", "idna": "3.3"},
    "5.0": {"certifi": "2025.4.26", "idna": "3.10", "typing_extensions": "4.14.1"},
}
# What bpy itself needs to start (its wheel's Requires-Dist), taken from this venv as installed.
FROM_VENV = ("bpy", "numpy", "requests", "urllib3", "charset_normalizer", "zstandard")
CACHE = REPO / "build" / "blender-site-cache"


def blender_version() -> str:
    return ".".join(metadata.version("bpy").split(".")[:2])


def make(dest: Path) -> Path:
    """Fill `dest` with what a real Blender of this venv's bpy version has on its path."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in FROM_VENV:
        _link_distribution(name, dest)
    for name, version in SHIPPED[blender_version()].items():
        wheel = _download(name, version)
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(dest)
    return dest


def _link_distribution(name: str, dest: Path) -> None:
    distribution = metadata.distribution(name)
    root = Path(distribution.locate_file(""))
    tops = {Path(f).parts[0] for f in distribution.files or [] if not str(f).startswith("..")}
    for top in tops:
        if not (dest / top).exists():
            (dest / top).symlink_to(root / top)


def _download(name: str, version: str) -> Path:
    found = list(CACHE.glob(f"{name}-{version}-*.whl"))
    return found[0] if found else next(p for p in pip.download([f"{name}=={version}"], CACHE, ["--only-binary=:all:"],
                                                               deps=False) if p.name.startswith(f"{name}-{version}-"))
