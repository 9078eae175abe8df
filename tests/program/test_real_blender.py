"""The extension in the real Blender program, as a user has it (see conftest.py for the tour)."""

from __future__ import annotations

import pytest
from PIL import Image

from devtools import real_blender

pytestmark = pytest.mark.program

SCREENSHOTS = ("00-before-connect", "01-idle", "02-running", "03-clips", "04-cancelled", "05-server-down")


def generated(strips: list[dict]) -> list[dict]:
    return [s for s in strips if "bmd_model" in s["props"]]


def test_the_zip_installs_like_install_from_disk(tour):
    assert tour.install.returncode == 0, tour.install.output
    assert "Installed" in tour.install.output, tour.install.output


def test_the_tour_finishes_without_a_traceback(tour):
    report = tour.report
    assert not report.get("error") and report.get("finished"), (
        f"the tour in real Blender stopped:\n{report.get('error')}\n--- Blender's output:\n{tour.run.tail()}")
    assert tour.run.returncode == 0 and not tour.run.timed_out, tour.run.tail()
    assert report["addon_enabled"], report
    assert report["blender"] == real_blender.blender_version().split()[-1]
    # a panel's draw() that raises is only printed, never raised: the console is where it shows
    assert "Traceback" not in tour.run.output, tour.run.output


def test_the_director_tab_opens_in_the_sequencer_sidebar(report):
    tab = next(s for s in report["steps"] if s["name"] == "director tab")
    assert tab["sequencer"] and tab["show_region_ui"] and tab["tab"] == "Director", tab
    assert tab["sidebar_width"] > 200, tab


def test_connect_reaches_the_test_server(report):
    connected = next(s for s in report["steps"] if s["name"] == "connected")
    assert connected["connected"] and connected["engine"] == "simulated" and connected["models"] > 0, connected


def test_generate_shows_progress_then_puts_the_clips_on_the_timeline(report):
    states = report["observed"]["first_job_states"]
    assert any(s["state"] == "running" and 0 < s["progress"] < 1 for s in states), states
    assert states[-1] == {"state": "succeeded", "progress": 1.0}, states
    running = report["screenshots"]["02-running"]
    assert running["job"]["state"] == "running" and running["queued"]["state"] == "queued", running
    clips = sorted(generated(report["final"]["strips"]), key=lambda s: s["frame_start"])
    assert [(c["type"], c["channel"], c["frame_start"], c["frames"]) for c in clips] == [
        ("MOVIE", 2, 1, 26), ("MOVIE", 2, 27, 26)], clips  # 17 frames at 16 fps: 26 of the 24 fps scene; back to back
    ids = report["ids"]
    assert [c["props"]["bmd_job_id"] for c in clips] == [ids["first"], ids["second"]]
    for clip in clips:
        props = clip["props"]
        assert props["bmd_model"] == "t2v_1.3B" and props["bmd_frames"] == 17, props
        assert props["bmd_resolution"] == "448x256" and props["bmd_steps"] == 12, props
        assert props["bmd_engine"] == "simulated" and props["bmd_prompt"] and props["bmd_settings"], props
        assert clip["file_exists"] and "/movie_director/" in clip["filepath"], clip  # beside the saved .blend
    assert clips[0]["props"]["bmd_prompt"] != clips[1]["props"]["bmd_prompt"]
    assert not any(s["props"].get("bmd_placeholder") for s in report["final"]["strips"]), report["final"]["strips"]


def test_cancel_ends_the_running_job_and_leaves_no_strip(report):
    ended = next(s for s in report["steps"] if s["name"] == "cancelled job ended")["job"]
    assert ended["id"] == report["ids"]["cancelled"] and ended["state"] == "cancelled", ended
    assert not any(s["props"].get("bmd_job_id") == ended["id"] for s in report["final"]["strips"])


def test_a_stopped_server_shows_in_the_server_panel_and_fails_the_new_job(tour, report):
    assert any(a["action"] == "stop_server" and a["ok"] for a in tour.host_requests), tour.host_requests
    down = next(s for s in report["steps"] if s["name"] == "connect while down")
    assert not down["connected"] and "No Director server" in down["error"], down
    failed = next(s for s in report["steps"] if s["name"] == "job while down ended")["job"]
    assert failed["state"] == "failed" and "No Director server" in failed["error"], failed
    assert not any(s["props"].get("bmd_job_id") == failed["id"] for s in report["final"]["strips"])


def test_the_saved_blend_reopens_with_the_clip_and_its_metadata(tour, report):
    assert not report["final"]["is_dirty"], "the .blend was not saved at the end"
    again = tour.restart_report
    assert not again["error"], again["error"]
    assert again["filepath"].endswith("project.blend")
    assert generated(again["strips"]) == generated(report["final"]["strips"])
    assert all(s["file_exists"] for s in generated(again["strips"]))


def test_after_a_restart_the_addon_is_still_enabled_with_its_wheels(tour):
    again = tour.restart_report
    assert tour.restart.returncode == 0, tour.restart.tail()
    assert again["enabled"] and again["scene_property"], again
    for name in ("pydantic", "pydantic_core", "gradio_client", "httpx"):
        module = again["modules"][name]
        assert "file" in module, f"{name} does not import after a restart: {module}"
        assert module["file"].startswith(again["extensions_site"]), f"{name} comes from {module['file']}"


def test_after_a_restart_the_journal_brings_back_the_jobs(tour, report):
    restored = {j["id"]: j for j in tour.restart_report["restored_jobs"]}
    ids = report["ids"]
    assert restored[ids["first"]]["state"] == "succeeded" and restored[ids["first"]]["placed"], restored
    assert restored[ids["second"]]["state"] == "succeeded" and restored[ids["second"]]["placed"], restored
    assert restored[ids["cancelled"]]["state"] == "cancelled", restored
    assert restored[ids["failed"]]["state"] == "failed", restored


@pytest.mark.parametrize("name", SCREENSHOTS)
def test_screenshots_show_the_program(tour, report, name):
    assert name in report["screenshots"], sorted(report["screenshots"])
    path = tour.screenshots[name]
    with Image.open(path) as image:
        assert image.size == real_blender.SCREEN
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        assert len(colours) > 200, f"{path} has only {len(colours)} colours: blank?"
        width, height = rgb.size
        sidebar = rgb.crop((width * 2 // 3, 0, width, height // 2)).getcolors(maxcolors=1 << 20)
        assert len(sidebar) > 50, f"the sidebar in {path} looks empty"


def test_screenshots_change_with_the_state(tour, report):
    def pixels(name):
        with Image.open(tour.screenshots[name]) as image:
            return image.convert("RGB").tobytes()
    assert pixels("01-idle") != pixels("02-running") != pixels("03-clips")
