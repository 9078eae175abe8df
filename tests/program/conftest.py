"""The real Blender program (Debian's 4.3 in a chroot, on Xvfb) with the extension zip a user installs.

One tour per session (devtools/real_blender.tour): install the zip, drive the Director tab in a window,
stop the server halfway, save; then start Blender again with the same user folder and the saved file.
The tests assert on what it reported, on the saved .blend reopened, and on the screenshots it took.
Skipped, with the reason, where there is no chroot (scripts/real_blender.sh builds it) or no root.
"""

from __future__ import annotations

import importlib.util

import pytest

from devtools import real_blender

SCREENSHOTS = real_blender.REPO / "build" / "screenshots"

# a bpy venv never runs these (they drive the program from outside; the client venv runs them)
collect_ignore = ["test_real_blender.py"] if importlib.util.find_spec("bpy") else []


@pytest.fixture(scope="session")
def tour(tmp_path_factory: pytest.TempPathFactory) -> real_blender.Tour:
    try:
        real_blender.check_available()
        zip_path = real_blender.ensure_zip()
    except real_blender.Unavailable as reason:
        pytest.skip(str(reason))
    from tests.conftest import start_test_server

    tmp = tmp_path_factory.mktemp("real-blender")
    # slow enough steps that the running job is on screen for a screenshot (12 steps ≈ 5 s)
    server = start_test_server(tmp, step_seconds=0.4)
    try:
        return real_blender.tour(zip_path, server, SCREENSHOTS, steps=12, results=tmp / "results")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def report(tour: real_blender.Tour) -> dict:
    """The tour's report, failing every test that needs it with the reason when the tour broke."""
    if tour.report.get("error") or not tour.report.get("finished"):
        last = (tour.report.get("error") or "no error recorded").strip().splitlines()[-1]
        pytest.fail(f"the tour in real Blender stopped ({last}): test_the_tour_finishes_without_a_traceback "
                    "shows where", pytrace=False)
    return tour.report
