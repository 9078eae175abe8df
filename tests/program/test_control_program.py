"""A 3D animatic drives a shot in the real Blender program (Debian's 4.3 on Xvfb, the extension zip
installed): the control renders in a background Blender while the window keeps drawing, the VACE shot
follows the cube frame by frame, the depth is Blender's own, a cancelled render ends its process.
The tour (devtools/in_blender/control_tour.py) reports; these tests check its report and the files it
made, decoded here."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

from devtools import real_blender, real_blender_control

pytestmark = pytest.mark.program

if importlib.util.find_spec("bpy"):  # a bpy venv never drives the program (the client venv runs this tier)
    pytest.skip("the real-program tier runs from the client environment", allow_module_level=True)

import imageio_ffmpeg  # noqa: E402
import numpy as np  # noqa: E402

WIDTH, HEIGHT = 448, 256


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> real_blender_control.ControlTour:
    try:
        real_blender.check_available()
        zip_path = real_blender.ensure_zip()
    except real_blender.Unavailable as reason:
        pytest.skip(str(reason))
    from tests.conftest import start_test_server

    tmp = tmp_path_factory.mktemp("real-blender-control")
    server = start_test_server(tmp, step_seconds=0.05)
    try:
        return real_blender_control.control_tour(zip_path, server, tmp / "results",
                                                 real_blender.REPO / "build" / "screenshots-control")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def report(tour: real_blender_control.ControlTour) -> dict:
    if tour.report.get("error") or not tour.report.get("finished"):
        pytest.fail(f"the control tour stopped:\n{tour.report.get('error')}\n--- Blender:\n{tour.run.tail()}",
                    pytrace=False)
    return tour.report


def gray(path: str | Path) -> np.ndarray:
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH).astype(np.float32)


def centre(picture: np.ndarray, threshold: float) -> tuple[float, float]:
    ys, xs = np.nonzero(picture > threshold)
    assert len(xs) > 50, f"nothing brighter than {threshold} (max {picture.max():.0f})"
    return float(xs.mean() + 0.5), float(ys.mean() + 0.5)


def test_the_tour_finishes_without_a_traceback(tour):
    assert tour.install.returncode == 0, tour.install.output
    assert tour.report.get("finished") and not tour.report.get("error"), tour.report.get("error")
    assert "Traceback" not in tour.run.output, tour.run.output


def test_the_control_renders_in_a_background_blender_with_progress(report):
    rendered = next(s for s in report["steps"] if s["name"] == "control rendered")["task"]
    assert rendered["in_background"] and rendered["state"] == "done" and rendered["returncode"] == 0, rendered
    between = {done for done, total in report["progress_seen"] if 0 < done < total}
    assert len(between) >= 3, report["progress_seen"]  # the Jobs panel's bar moved while it rendered
    assert report["press_seconds"] < 1.0  # pressing the button returns at once


def test_the_window_keeps_ticking_while_the_control_renders(report):
    background, here = report["pulse_background"], report["pulse_in_process"]
    print(f"\nmain thread while the control renders in the background: {background['beats']} beats of a 10 ms "
          f"timer in {background['seconds']} s, median gap {background['median_gap_ms']} ms, p99 "
          f"{background['p99_gap_ms']} ms, worst {background['max_gap_ms']} ms; pressing the button held it "
          f"{report['press_seconds'] * 1000:.0f} ms. Rendered in Blender's own process instead: the button held "
          f"it {report['in_process_press_seconds']:.2f} s (worst gap {here['max_gap_ms']} ms).")
    assert background["max_gap_ms"] < 1000, background
    assert background["beats"] >= 20, background
    # the in-process comparison is printed above, not asserted: a short render on a busy machine can make
    # both worst gaps a redraw's length (seen once in CI: 76.9 ms in-process vs 92.2 ms background)


def test_the_vace_shot_follows_the_cube_frame_by_frame(report):
    shot = report["shot"]
    assert (shot["state"], shot["model"], shot["video_length"], shot["resolution"]) == (
        "succeeded", "vace_1.3B", 33, f"{WIDTH}x{HEIGHT}")
    assert (shot["channel"], shot["frame_start"], shot["frames"]) == (2, 1, 48)  # over the scene strip
    clip = gray(shot["clip"])
    assert len(clip) == len(shot["expected"]) == 33
    worst = 0.0
    for k, (x, y) in enumerate(shot["expected"]):
        got = centre(clip[k], 72)
        worst = max(worst, abs(got[0] - x * WIDTH), abs(got[1] - y * HEIGHT))
    print(f"\nthe cube in the generated clip vs where the camera sees it: worst {worst:.1f} px over 33 frames")
    assert worst < 4


def test_a_depth_reading_shot_receives_blenders_own_depth(report):
    shot = report["shot"]
    assert shot["letters"] == "V"  # a prepared map: Wan2GP runs no estimator on it
    depth = gray(shot["control"])
    assert len(depth) == 33
    assert depth[:, :30, :30].max() < 8  # empty: far, black
    for k, (x, y) in enumerate(shot["expected"]):
        got = centre(depth[k], 40)
        assert abs(got[0] - x * WIDTH) < 4 and abs(got[1] - y * HEIGHT) < 4, (k, got)
        cube = depth[k][depth[k] > 40]
        assert cube.max() - cube.min() > 60  # a gradient across the cube's faces, not a flat silhouette


def test_cancel_ends_the_background_render_and_queues_nothing(report):
    cancelled = report["cancelled"]
    assert cancelled["state"] == "cancelled" and cancelled["in_background"], cancelled
    assert cancelled["returncode"] is not None and cancelled["returncode"] != 0, cancelled  # the process ended
    assert 0 < cancelled["done"] < cancelled["total"], cancelled  # halfway
    assert cancelled["jobs_queued_after"] == 0
    assert not Path(cancelled["outputs"][0]).exists()


def test_a_movie_strip_masked_by_a_second_strip_reaches_vace_as_inpainting(report):
    masked = report["masked"]
    assert masked["task"]["in_background"] and masked["state"] == "succeeded", masked
    assert masked["letters"] == "MVA" and Path(masked["mask"]).is_file(), masked
    assert masked["placed"] == masked["strip"]  # over the movie strip
    control, mask, clip = gray(masked["control"]), gray(masked["mask"]), gray(masked["clip"])
    assert len(control) == len(mask) == len(clip)
    outside, inside = mask < 20, mask > 200
    assert inside.mean() > 0.01 and outside.mean() > 0.5
    # outside the mask the clip is the video itself; inside (the cube), made anew
    assert np.abs(clip - control)[outside].mean() < 6
    assert np.abs(clip - control)[inside].mean() > 20
