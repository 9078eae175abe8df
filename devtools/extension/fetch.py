"""The locked wheels on local disk: downloaded once into a cache, checked against the lock's sha256."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from . import pip
from .lockfile import Lock
from .targets import REPO
from .wheelfile import WheelName

CACHE = REPO / "build" / "wheel-cache"  # gitignored with the rest of build/


class FetchError(RuntimeError):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(lock: Lock, cache: Path = CACHE) -> list[Path]:
    """Every wheel of the lock, from the cache or PyPI; raises FetchError on any hash that differs."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = [WheelName.parse(name) for name in lock.wheels if not (cache / name).exists()]
    groups: dict[tuple[str, ...], list[WheelName]] = defaultdict(list)
    for wheel in missing:  # one pip call per distinct tag set, each asking for exactly these files
        groups[tuple(wheel.pip_args())].append(wheel)
    for tag_args, wheels in groups.items():
        with tempfile.TemporaryDirectory(prefix=".partial-", dir=cache) as tmp:
            pip.download([f"{w.name}=={w.version}" for w in wheels], Path(tmp), list(tag_args), deps=False)
            for wheel in wheels:
                got = Path(tmp) / wheel.filename
                if not got.exists():
                    raise FetchError(f"PyPI did not give {wheel.filename} (got {sorted(p.name for p in Path(tmp).iterdir())})")
                shutil.move(got, cache / wheel.filename)
    paths = [cache / name for name in sorted(lock.wheels)]
    for path in paths:
        if (actual := sha256(path)) != lock.wheels[path.name]:
            raise FetchError(f"{path.name}: sha256 {actual} but the lock says {lock.wheels[path.name]}; "
                             f"delete {path} to download it again, or re-run --lock if PyPI changed it")
    return paths
