#!/usr/bin/env python3
"""The README's screenshots, from the real Blender program: `make screenshots`.

Runs the same tour as tests/program (devtools/real_blender.tour: Debian's Blender 4.3 in its chroot,
on Xvfb, with the extension zip a user installs and a simulated Director server) and copies the
pictures the README shows into docs/screenshots/. Needs root and the chroot (scripts/real_blender.sh).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from PIL import Image

from devtools import real_blender

DOCS = real_blender.REPO / "docs" / "screenshots"
# the tour's picture -> the README's file
README_SHOTS = {
    "01-idle": "director-panel.png",  # connected, a shot set up, nothing queued
    "02-running": "job-running.png",  # one job rendering with its progress bar, one waiting in the queue
    "03-clips": "clips-on-timeline.png",  # both clips placed, the Generated Strip panel for the selected one
    "05-server-down": "server-down.png",  # the server gone: the Server panel and the failed job say so
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DOCS, help="where the README's pictures go")
    args = parser.parse_args(argv)
    try:
        real_blender.check_available()
        zip_path = real_blender.ensure_zip()
    except real_blender.Unavailable as reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 2
    from tests.conftest import start_test_server  # the test suites' simulated server

    with tempfile.TemporaryDirectory(prefix="bmd-screenshots-") as tmp:
        server = start_test_server(Path(tmp), step_seconds=0.4)
        try:
            tour = real_blender.tour(zip_path, server, Path(tmp) / "shots", steps=12)
        finally:
            server.stop()
        if tour.report.get("error") or not tour.report.get("finished"):
            print(f"screenshots: the tour did not finish:\n{tour.report.get('error')}\n{tour.run.tail()}",
                  file=sys.stderr)
            return 1
        args.output.mkdir(parents=True, exist_ok=True)
        for name, target in README_SHOTS.items():
            with Image.open(tour.screenshots[name]) as image:
                image.save(args.output / target, optimize=True)  # lossless, smaller
            print(f"{args.output / target}")
    print(f"Blender {tour.report['blender']}, zip {zip_path.name}, {tour.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
