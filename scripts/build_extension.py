#!/usr/bin/env python3
"""Build the extension zips a user drags into Blender: one per platform, every client dependency
bundled as an unmodified PyPI wheel (cp311 for Blender 4.2–5.0, cp313 for 5.1+).

    python scripts/build_extension.py             # build/extension/dist/*.zip from the lock
    python scripts/build_extension.py --lock      # re-resolve the pins for every platform, rewrite the lock

Needs Python 3.11+ with pip, and Blender's blender_ext.py (from the bpy wheel: `scripts/setup.sh
blender-5.0`); --lock also needs `packaging` (e.g. .venv/blender-5.0/bin/python).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from devtools.extension import blender_cli, lockfile
from devtools.extension.build import OUTPUT, build
from devtools.extension.fetch import CACHE
from devtools.extension.policy import LEFT_OUT
from devtools.extension.resolve import resolve
from devtools.extension.targets import all_targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", action="store_true", help="resolve again and rewrite " + str(lockfile.LOCK.name))
    parser.add_argument("--output", type=Path, default=OUTPUT, help="staged source and dist/ go here")
    parser.add_argument("--blender-ext", help="path to bpy/<ver>/scripts/addons_core/bl_pkg/cli/blender_ext.py")
    args = parser.parse_args(argv)
    tool = blender_cli.find(args.blender_ext)
    if args.lock:
        with tempfile.TemporaryDirectory(prefix="bmd-lock-") as workdir:
            lock = resolve(all_targets(), Path(workdir), CACHE)
        lock.write()
        print(f"{lockfile.LOCK}: {len(lock.wheels)} wheels for {' '.join(lock.platforms)} × Python "
              f"{' '.join(lock.pythons)}; left out: {', '.join(LEFT_OUT)}")
    built = build(tool, args.output)
    print(f"validated with Blender {tool.blender_version}'s blender_ext.py; staged source: {built.source}")
    for platform, path in built.zips.items():
        print(f"  {platform:<14} {path.stat().st_size / 1e6:6.1f} MB  {len(built.wheels_in(platform)):2d} wheels  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
