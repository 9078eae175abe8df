"""A sequence directed in the real Blender program (Debian's 4.3 on Xvfb, the extension zip installed):
text strips become the shot list, Generate All (the real operator, as its button runs it) renders every
shot on the simulated server, each clip lands exactly at its shot, retimed by a Speed strip where the
model's fps is not the scene's. The tour (devtools/in_blender/sequence_tour.py) reports; these tests
check its report and decode the clips it placed."""

from __future__ import annotations

import importlib.util
import subprocess

import pytest

from devtools import real_blender, real_blender_control

pytestmark = pytest.mark.program

if importlib.util.find_spec("bpy"):  # a bpy venv never drives the program (the client venv runs this tier)
    pytest.skip("the real-program tier runs from the client environment", allow_module_level=True)

import imageio_ffmpeg  # noqa: E402
from PIL import Image  # noqa: E402

SHOT_SLOTS = [(1, 36), (37, 30), (67, 24)]  # sequence_tour.SHOTS: (start, length) of each text strip


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> real_blender_control.WindowTour:
    try:
        real_blender.check_available()
        zip_path = real_blender.ensure_zip()
    except real_blender.Unavailable as reason:
        pytest.skip(str(reason))
    from tests.conftest import start_test_server

    tmp = tmp_path_factory.mktemp("real-blender-sequence")
    server = start_test_server(tmp, step_seconds=0.15)  # slow enough that a shot is seen rendering
    try:
        return real_blender_control.sequence_tour(zip_path, server, tmp / "results",
                                                  real_blender.REPO / "build" / "screenshots-sequence")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def report(tour: real_blender_control.WindowTour) -> dict:
    if tour.report.get("error") or not tour.report.get("finished"):
        pytest.fail(f"the sequence tour stopped:\n{tour.report.get('error')}\n--- Blender:\n{tour.run.tail()}",
                    pytrace=False)
    return tour.report


def decoded_frames(path: str) -> int:
    """How many frames the clip really has (decoded, not its header)."""
    out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", path, "-map", "0:v:0", "-f", "null",
                          "-c:v", "rawvideo", "-", "-progress", "pipe:1"], capture_output=True, text=True, check=True)
    return max(int(line.split("=")[1]) for line in out.stdout.splitlines() if line.startswith("frame="))


def test_the_tour_finishes_without_a_traceback(tour):
    assert tour.install.returncode == 0, tour.install.output
    assert tour.report.get("finished") and not tour.report.get("error"), (tour.report.get("error"), tour.run.tail())
    assert "Traceback" not in tour.run.output, tour.run.output


def test_generate_all_queues_every_shot_and_they_render(report):
    pressed = next(s for s in report["steps"] if s["name"] == "generate all pressed")
    assert pressed["result"] == ["FINISHED"] and len(pressed["queued"]) == 3, pressed
    assert [s["status"] for s in pressed["shots"]] == ["queued"] * 3 or "rendering" in [
        s["status"] for s in pressed["shots"]], pressed["shots"]
    statuses = report["observed"]["statuses"]
    assert any("rendering" in now for now in statuses), statuses  # the list showed a shot rendering
    assert [s["status"] for s in report["shots"]] == ["done"] * 3, report["shots"]
    assert all(j["state"] == "succeeded" for j in report["jobs"].values()), report["jobs"]


def test_each_clip_lands_at_its_shot_exactly_its_length(report):
    for shot, (start, length) in zip(report["shots"], SHOT_SLOTS, strict=True):
        text = shot["text"]
        assert (text["frame_start"], text["frames"], text["channel"]) == (start, length, 1), text
        assert len(shot["clips"]) == 1, shot["clips"]
        clip = shot["clips"][0]
        assert clip["type"] == "MOVIE" and clip["file_exists"], clip
        assert (clip["channel"], clip["frame_start"], clip["frames"]) == (2, start, length), clip
        assert clip["props"]["bmd_shot"] == shot["uid"] and clip["props"]["bmd_job_id"] == shot["job"], clip


def test_a_clip_at_another_fps_is_retimed_by_a_speed_strip_over_exactly_its_slot(report):
    models = [s["clips"][0]["props"]["bmd_model"] for s in report["shots"]]
    assert models == ["t2v_1.3B", "t2v_1.3B", "hunyuan"], models
    retimed = 0
    for shot, (start, length) in zip(report["shots"], SHOT_SLOTS, strict=True):
        clip = shot["clips"][0]
        frames = decoded_frames(clip["clip_path"])
        assert frames == clip["movie_frames"] == report["jobs"][shot["job"]]["video_length"], (frames, clip)
        speed = clip["speed"]
        if frames == length:
            assert speed is None, clip
            continue
        retimed += 1
        assert speed is not None, f"{clip['name']}: {frames} clip frames in a {length}-frame slot and no Speed strip"
        assert speed["input"] == clip["name"] and speed["speed_control"] == "MULTIPLY", speed
        assert (speed["channel"], speed["frame_start"], speed["frames"]) == (3, start, length), speed
        # clip frame t·(N-1)/(S-1) at slot frame t: first frame on the slot's first, last on its last
        assert speed["speed_factor"] == pytest.approx((frames - 1) / (length - 1), rel=1e-4), speed
    # the 16 fps model in a 24 fps scene: 36 scene frames = 1.5 s = 25 model frames
    assert retimed >= 2, report["shots"]


@pytest.mark.parametrize("name", ["sequence-shots", "sequence-rendering", "sequence-done"])
def test_screenshots_show_the_shot_list(tour, report, name):
    assert name in tour.screenshots, sorted(tour.screenshots)
    with Image.open(tour.screenshots[name]) as image:
        assert image.size == real_blender.SCREEN
        rgb = image.convert("RGB")
        width, height = rgb.size
        sidebar = rgb.crop((width * 2 // 3, 0, width, height // 2)).getcolors(maxcolors=1 << 20)
        assert len(sidebar) > 50, f"the sidebar in {name} looks empty"


def test_the_screenshots_differ_as_the_shots_render(tour, report):
    def pixels(name):
        with Image.open(tour.screenshots[name]) as image:
            return image.convert("RGB").tobytes()
    assert pixels("sequence-shots") != pixels("sequence-rendering") != pixels("sequence-done")
