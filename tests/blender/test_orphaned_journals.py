"""Journals nobody else will read, brought back in real Blender (the bpy module) against the simulated
server: an unsaved session's journal after that Blender crashed (a child process calling os._exit) is
taken by the next unsaved file, never one of a Blender that still runs (another child, alive); the
shared journal.json of older versions is taken over by the first .blend opened from its folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import bpy

from devtools.blender import jobs_finished
from tests.blender.conftest import USER_RESOURCES
from tests.blender.test_projects import clips, new_session, settle, shot
from tests.conftest import REPO

UNSAVED_BLENDER = textwrap.dedent("""
    import json, os, sys, time
    os.environ["BLENDER_USER_RESOURCES"] = sys.argv[1]
    import bpy
    from devtools.blender import drive, enable_addon
    addon = enable_addon(sys.argv[2])
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.render.fps = 24
    from importlib import import_module
    scripting = import_module(addon.__name__ + ".ui.scripting")
    record = scripting.queue_job(sys.argv[3], model="t2v_1.3B", frames=17, frame=7, channel=3,
                                 resolution="448x256", num_inference_steps=60, simulation={"step_seconds": 0.05})
    manager = addon.ui.addon.manager()
    drive(addon, lambda: (manager.get(record.id).status is not None
                          and (manager.get(record.id).status.step or 0) >= 3), timeout=60)
    record = manager.get(record.id)
    print(json.dumps({"id": record.id, "server_job_id": record.server_job_id, "seed": record.settings.seed,
                      "journal": str(addon.ui.projects.journal_path())}), flush=True)
    if sys.argv[4] == "crash":
        os._exit(9)  # Blender crashes mid-job, the file never saved
    sys.stdin.read()  # a Blender that still runs, until the test lets it go
""")


def _unsaved_blender(server, prompt: str, how: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", UNSAVED_BLENDER, str(USER_RESOURCES), server.url, prompt, how],
                            stdout=subprocess.PIPE, text=True, cwd=REPO, **popen)


def _said(child: subprocess.Popen) -> dict:
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"the child Blender ended ({child.wait()}) without saying what it queued")


def test_a_crashed_unsaved_session_s_jobs_come_back_in_the_next_unsaved_file(addon, drive, server) -> None:
    alive = _unsaved_blender(server, "still running elsewhere", "wait", stdin=subprocess.PIPE)
    try:
        running = _said(alive)
        crashed_child = _unsaved_blender(server, "rendered while an unsaved Blender crashed", "crash")
        crashed = _said(crashed_child)
        assert crashed_child.wait(120) == 9
        assert Path(crashed["journal"]).is_file()
        new_session(addon)
        started = time.monotonic()
        bpy.ops.wm.read_homefile(use_empty=True)  # the next session's new unsaved file
        bpy.context.scene.render.fps = 24
        settle(addon, drive)
        elapsed = time.monotonic() - started
        print(f"\nunsaved Blender crashed mid-job → its clip placed in the next unsaved file {elapsed:.2f} s later")
        (strip,) = clips()
        assert strip["bmd_job_id"] == crashed["id"] and strip["bmd_seed"] == crashed["seed"]
        assert (strip.channel, strip.frame_final_start) == (3, 7)
        assert not Path(crashed["journal"]).exists()  # taken over: the next session does not take it again
        manager = addon.ui.addon.manager()
        assert manager.get(running["id"]) is None  # a Blender that still runs keeps its own jobs
        assert running["id"] in Path(running["journal"]).read_text()
        server_out = Path(server.log_file).parent.parent / "server_out"
        assert len(list(server_out.glob(f"*_{crashed['server_job_id'][:8]}.mp4"))) == 1  # fetched, not re-rendered
    finally:
        alive.kill()
        alive.wait(30)


V1_FIELDS = {"id", "settings", "slot", "output_dir", "label", "state", "status", "error", "error_hint",
             "error_detail", "result", "server_job_id", "created_at", "updated_at", "simulation", "placed"}


def test_an_old_shared_journal_is_taken_over_by_the_first_blend_opened(addon, scene, drive, tmp_path: Path) -> None:
    made = shot(addon, "made by an older version")
    drive(jobs_finished(addon))
    done = addon.ui.addon.manager().get(made.id)
    folder = tmp_path / "old_project"
    clip = folder / "movie_director" / "older_clip.mp4"
    clip.parent.mkdir(parents=True)
    shutil.copy(done.result.video_path, clip)
    entry = {**json.loads(done.model_dump_json(include=V1_FIELDS)), "server_job_id": ""}
    finished = {**entry, "id": "legacy-finished", "placed": False,
                "result": {**entry["result"], "video_path": str(clip)}}
    placed = {**finished, "id": "legacy-placed", "placed": True}
    unfinished = {**entry, "id": "legacy-running", "state": "running", "result": None, "placed": False,
                  "server_job_id": ""}  # version 1 chose no server job id before sending
    (clip.parent / "journal.json").write_text(json.dumps(
        {"version": 1, "written_at": time.time(), "jobs": [finished, placed, unfinished]}))
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.render.fps = 24
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "film.blend"))
    new_session(addon)
    bpy.ops.wm.open_mainfile(filepath=str(folder / "film.blend"))
    settle(addon, drive)
    manager = addon.ui.addon.manager()
    assert [s["bmd_job_id"] for s in clips()] == ["legacy-finished"]  # placed once; the placed one not again
    assert manager.get("legacy-placed").placement_saved
    assert manager.get("legacy-running").state.value == "interrupted"  # offered Retry
    assert not (clip.parent / "journal.json").exists()
    assert (clip.parent / "journal.migrated-to-film.json").is_file()
    ids = {j["id"] for j in json.loads((clip.parent / "film.journal.json").read_text())["jobs"]}
    assert {"legacy-finished", "legacy-placed", "legacy-running"} <= ids
