"""The whole build: lock → cached wheels → staged source → one zip per platform → each zip validated."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import lockfile
from .blender_cli import BlenderExt
from .fetch import CACHE, fetch
from .policy import roots
from .stage import stage
from .targets import REPO, all_targets, manifest_platforms

OUTPUT = REPO / "build" / "extension"


class StaleLockError(RuntimeError):
    pass


@dataclass
class Built:
    source: Path  # the staged folder the zips were built from
    zips: dict[str, Path]  # Blender platform (linux-x64) -> zip

    def wheels_in(self, platform: str) -> list[str]:
        with zipfile.ZipFile(self.zips[platform]) as archive:
            return sorted(Path(n).name for n in archive.namelist() if n.endswith(".whl"))


def check_lock(lock: lockfile.Lock) -> None:
    """The lock must be for today's pins and platforms; otherwise the zips would not be what we say."""
    if sorted(lock.roots) != sorted(roots()) or sorted(lock.platforms) != sorted(manifest_platforms()):
        raise StaleLockError(f"{lockfile.LOCK.name} was made for {lock.roots} on {lock.platforms}; pyproject.toml "
                             f"and the manifest now say {roots()} on {list(manifest_platforms())}: run with --lock")
    for platform in lock.platforms:
        if all(f"{platform}/{t.abi}" in lock.unavailable for t in all_targets((platform,))):
            raise StaleLockError(f"no Python has a complete set of wheels on {platform}: drop it from the manifest")


def build(tool: BlenderExt, output: Path = OUTPUT, cache: Path = CACHE) -> Built:
    lock = lockfile.read()
    check_lock(lock)
    source = stage(fetch(lock, cache), output / "source")
    tool.validate(source)
    zips = tool.build(source, output / "dist")
    by_platform = {}
    for platform in manifest_platforms():
        (path,) = [z for z in zips if z.stem.endswith("-" + platform.replace("-", "_"))]
        tool.validate(path)
        by_platform[platform] = path
    return Built(source, by_platform)
