"""Projects in real Blender (the bpy module) against the simulated server: one journal per .blend,
placement recorded once, movable projects, the first save, a real crash of Blender mid-job (a child
process calling os._exit), a real read-only project folder (a read-only bind mount), and a password
that is never written to a file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import bpy
import pytest

from devtools.blender import jobs_finished
from tests.blender.conftest import USER_RESOURCES
from tests.conftest import REPO


def strips(scene=None):
    editor = (scene or bpy.context.scene).sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def clips(scene=None):
    return [s for s in strips(scene) if "bmd_model" in s]


def clip_file(strip) -> Path:
    return Path(bpy.path.abspath(strip.filepath))


def shot(addon, prompt: str, *, frame: int = 1, channel: int = 2, steps: int = 3, step_seconds: float | None = None):
    from importlib import import_module

    scripting = import_module(f"{addon.__name__}.ui.scripting")
    extra = {"simulation": {"step_seconds": step_seconds}} if step_seconds is not None else {}
    return scripting.queue_job(prompt, model="t2v_1.3B", frames=17, frame=frame, channel=channel,
                               resolution="448x256", num_inference_steps=steps, **extra)


def new_session(addon) -> None:
    """As if Blender was closed and started again: nothing of the add-on's in memory."""
    addon.ui.addon.shutdown_manager()
    addon.ui.tick.reset()


def settle(addon, drive) -> None:
    """Tick until the open file's jobs are done and every finished clip was handled."""
    manager = addon.ui.addon.manager()
    project = addon.ui.projects.journal_path()
    drive(lambda: all(r.state.is_terminal for r in manager.jobs(project=project)) and not addon.ui.tick._waiting
          and all(r.placed for r in manager.jobs(project=project) if r.state.value == "succeeded"), timeout=60)


def journal_ids(path: Path) -> set[str]:
    return {j["id"] for j in json.loads(path.read_text())["jobs"]}


def test_reopening_and_saving_never_places_a_clip_twice(addon, scene, drive, tmp_path: Path) -> None:
    record = shot(addon, "placed exactly once")
    drive(jobs_finished(addon))
    path = bpy.data.filepath
    assert len(clips()) == 1
    for cycle in range(3):
        bpy.ops.wm.save_mainfile()
        if cycle % 2 == 0:
            new_session(addon)  # Blender restarted
        bpy.ops.wm.open_mainfile(filepath=path)
        settle(addon, drive)
        assert [s["bmd_job_id"] for s in clips()] == [record.id], f"cycle {cycle}: {[s.name for s in clips()]}"
    # placed but not saved, then Blender died: the file on disk lacks it, so it is placed again, once
    editor = bpy.context.scene.sequence_editor
    for strip in list(clips()):
        (editor.strips if hasattr(editor, "strips") else editor.sequences).remove(strip)
    bpy.ops.wm.save_mainfile()  # saved without the clip: the user deleted it on purpose
    new_session(addon)
    bpy.ops.wm.open_mainfile(filepath=path)
    settle(addon, drive)
    assert clips() == [], "a clip the user deleted and saved came back"


def test_a_clip_placed_but_not_saved_comes_back_once_after_a_crash(addon, scene, drive) -> None:
    path = bpy.data.filepath
    record = shot(addon, "placed, never saved")
    drive(jobs_finished(addon))
    assert len(clips()) == 1
    new_session(addon)  # Blender died before the file was saved with the clip
    bpy.ops.wm.open_mainfile(filepath=path)
    settle(addon, drive)
    assert [s["bmd_job_id"] for s in clips()] == [record.id]
    bpy.ops.wm.save_mainfile()
    new_session(addon)
    bpy.ops.wm.open_mainfile(filepath=path)
    settle(addon, drive)
    assert len(clips()) == 1


def test_two_blend_files_in_one_folder_each_get_only_their_own_clips(addon, scene, drive, tmp_path: Path) -> None:
    a, b = tmp_path / "a.blend", tmp_path / "b.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(a))
    for_a = shot(addon, "for a only", steps=40, step_seconds=0.03)  # still running when b is opened
    bpy.ops.wm.save_mainfile()
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.render.fps = 24
    bpy.ops.wm.save_as_mainfile(filepath=str(b))
    for_b = shot(addon, "for b only", frame=30)
    manager = addon.ui.addon.manager()
    drive(lambda: manager.get(for_a.id).state.is_terminal and manager.get(for_b.id).state.is_terminal
          and not addon.ui.tick._waiting, timeout=60)
    settle(addon, drive)
    assert [s["bmd_job_id"] for s in clips()] == [for_b.id]
    bpy.ops.wm.save_mainfile()
    bpy.ops.wm.open_mainfile(filepath=str(a))
    settle(addon, drive)
    assert [s["bmd_job_id"] for s in clips()] == [for_a.id]
    folder = tmp_path / "movie_director"
    assert journal_ids(folder / "a.journal.json") == {for_a.id}
    assert journal_ids(folder / "b.journal.json") == {for_b.id}
    bpy.ops.wm.save_mainfile()
    bpy.ops.wm.open_mainfile(filepath=str(b))
    settle(addon, drive)
    assert [s["bmd_job_id"] for s in clips()] == [for_b.id]


def test_a_moved_project_keeps_every_clip(addon, scene, drive, tmp_path: Path) -> None:
    project = tmp_path / "film"
    project.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "film.blend"))
    placed = [shot(addon, f"placed {i}", frame=1 + 30 * i) for i in range(2)]
    drive(jobs_finished(addon))
    assert all(s.filepath.startswith("//movie_director/") for s in clips()), [s.filepath for s in clips()]
    late = shot(addon, "finished while another file was open", frame=100, steps=30, step_seconds=0.03)
    bpy.ops.wm.save_mainfile()
    bpy.ops.wm.read_homefile(use_empty=True)  # another file: the late clip is not placed anywhere yet
    manager = addon.ui.addon.manager()
    drive(lambda: manager.get(late.id).state.is_terminal, timeout=60)
    new_session(addon)
    shutil.move(str(project), tmp_path / "moved")
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "moved" / "film.blend"))
    settle(addon, drive)
    found = {s["bmd_job_id"]: clip_file(s) for s in clips()}
    assert set(found) == {r.id for r in (*placed, late)}
    assert all(p.is_file() and p.parent == tmp_path / "moved" / "movie_director" for p in found.values()), found


def test_clips_made_before_the_first_save_move_into_the_project(addon, drive, tmp_path: Path) -> None:
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.render.fps = 24
    addon.ui.tick.reset()
    (tmp_path / "film").mkdir()
    early = shot(addon, "before the first save")
    drive(lambda: addon.ui.addon.manager().get(early.id).state.is_terminal and not addon.ui.tick._waiting)
    (strip,) = clips()
    in_user_folder = clip_file(strip)
    assert in_user_folder.is_file() and tmp_path not in in_user_folder.parents
    running = shot(addon, "running at the first save", frame=60, steps=40, step_seconds=0.03)
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "film" / "film.blend"))
    folder = tmp_path / "film" / "movie_director"
    assert strip.filepath == f"//movie_director/{in_user_folder.name}" and clip_file(strip).is_file()
    assert (folder / in_user_folder.name).with_suffix(".json").is_file()  # its sidecar came along
    assert not in_user_folder.exists() and not in_user_folder.with_suffix(".json").exists()
    sidecar = json.loads((folder / in_user_folder.name).with_suffix(".json").read_text())
    assert Path(sidecar["video_path"]) == folder / in_user_folder.name
    settle(addon, drive)
    by_job = {s["bmd_job_id"]: s for s in clips()}
    assert clip_file(by_job[running.id]).parent == folder and by_job[running.id].filepath.startswith("//movie_director/")
    assert journal_ids(folder / "film.journal.json") == {early.id, running.id}
    bpy.ops.wm.save_mainfile()
    new_session(addon)
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "film" / "film.blend"))
    settle(addon, drive)
    assert len(clips()) == 2 and all(clip_file(s).is_file() for s in clips())


CRASHING_BLENDER = textwrap.dedent("""
    import json, os, sys, time
    os.environ["BLENDER_USER_RESOURCES"] = sys.argv[1]
    import bpy
    from devtools.blender import drive, enable_addon
    addon = enable_addon(sys.argv[2])
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.render.fps = 24
    bpy.ops.wm.save_as_mainfile(filepath=sys.argv[3])
    from importlib import import_module
    scripting = import_module(addon.__name__ + ".ui.scripting")
    record = scripting.queue_job("rendered while Blender crashed", model="t2v_1.3B", frames=17, frame=5, channel=2,
                                 resolution="448x256", num_inference_steps=60, simulation={"step_seconds": 0.05})
    manager = addon.ui.addon.manager()
    try:
        drive(addon, lambda: (manager.get(record.id).status is not None
                              and (manager.get(record.id).status.step or 0) >= 3), timeout=60)
    except TimeoutError:
        print("job:", manager.get(record.id), "server:", manager.server, file=sys.stderr)
        raise
    bpy.ops.wm.save_mainfile()
    record = manager.get(record.id)
    print(json.dumps({"id": record.id, "server_job_id": record.server_job_id, "seed": record.settings.seed}), flush=True)
    os._exit(9)  # Blender crashes mid-job: no cancel, no close, no later save
""")


def test_after_a_crash_mid_job_the_finished_clip_is_fetched_not_rendered_again(addon, drive, server,
                                                                                 tmp_path: Path) -> None:
    blend = tmp_path / "crash.blend"
    child = subprocess.run([sys.executable, "-c", CRASHING_BLENDER, str(USER_RESOURCES), server.url, str(blend)],
                           capture_output=True, text=True, timeout=180, cwd=REPO)
    assert child.returncode == 9, child.stdout[-2000:] + child.stderr[-3000:]
    crashed = json.loads(child.stdout.strip().splitlines()[-1])
    new_session(addon)
    started = time.monotonic()
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    settle(addon, drive)
    elapsed = time.monotonic() - started
    (strip,) = clips()
    print(f"\nBlender crashed mid-job → on reopening, the clip was placed {elapsed:.2f} s later")
    assert strip["bmd_job_id"] == crashed["id"] and strip["bmd_seed"] == crashed["seed"]
    assert strip["bmd_server_job_id"] == crashed["server_job_id"]
    assert (strip.channel, strip.frame_final_start) == (2, 5)
    server_out = Path(server.log_file).parent.parent / "server_out"
    renders = list(server_out.glob(f"*_{crashed['server_job_id'][:8]}.mp4"))
    assert len(renders) == 1, renders  # the server rendered it once; the reopened Blender fetched it
    assert not [s for s in strips() if s.get("bmd_placeholder")]


@pytest.fixture
def read_only(tmp_path: Path):
    """Make folders read-only for real (root ignores chmod): a read-only bind mount of each."""
    mounted: list[Path] = []

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for command in (["mount", "--bind", str(folder), str(folder)],
                        ["mount", "-o", "remount,bind,ro", str(folder)]):
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                pytest.skip(f"cannot make a read-only bind mount here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield make
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_project_folder_fails_one_job_and_the_next_lands(addon, scene, drive, tmp_path: Path,
                                                                       read_only, monkeypatch) -> None:
    project = tmp_path / "locked"
    project.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "locked.blend"))
    folder = read_only(project / "movie_director")
    assert not os.access(folder, os.W_OK) or _write_fails(folder)
    rescue = tmp_path / "rescue"
    monkeypatch.setenv("BMD_RESCUE_DIR", str(rescue))
    manager = addon.ui.addon.manager()
    # the rescue folder takes the clip: it lands, and the job says where it is
    rescued = shot(addon, "rescued from a read-only folder")
    drive(lambda: manager.get(rescued.id).state.is_terminal and not addon.ui.tick._waiting)
    done = manager.get(rescued.id)
    assert done.state.value == "succeeded" and done.result.video_path.parent == rescue
    assert "could not save into" in done.result.note and str(rescue) in done.result.note
    assert [clip_file(s) for s in clips()] == [done.result.video_path]
    assert "could not write the job journal" in manager.journal_error
    # the rescue folder is read-only too: that one job fails, saying where the clip is; the clip survives
    read_only(rescue)
    started = time.monotonic()
    nowhere = shot(addon, "nowhere to save it", frame=40)
    drive(lambda: manager.get(nowhere.id).state.is_terminal)
    failed = manager.get(nowhere.id)
    print(f"\nread-only project and rescue folders → the job failed with a message in {time.monotonic() - started:.2f} s")
    assert failed.state.value == "failed" and "could not be saved" in failed.error
    kept = Path(failed.error_hint.rsplit("the download is at ", 1)[1])
    # the next job, for a writable folder, lands; the worker carried on
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.render.fps = 24
    (tmp_path / "open").mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "open" / "open.blend"))
    after = shot(addon, "the next job lands")
    drive(lambda: manager.get(after.id).state.is_terminal and not addon.ui.tick._waiting)
    assert manager.get(after.id).state.value == "succeeded"
    assert [s["bmd_job_id"] for s in clips()] == [after.id]
    new_session(addon)  # the client closes: a clip that could be saved nowhere is still not deleted
    assert kept.is_file() and kept.stat().st_size > 0


def _write_fails(folder: Path) -> bool:
    try:
        (folder / "probe").write_text("x")
    except OSError:
        return True
    (folder / "probe").unlink()
    return False


def test_the_password_is_never_written_to_a_file(addon, scene, tmp_path: Path) -> None:
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    secret = "pw-" + os.urandom(6).hex()
    assert "server_password" not in type(prefs).bl_rna.properties  # not an RNA property any more
    assert bpy.ops.movie_director.set_server_password("EXEC_DEFAULT", password=secret) == {"FINISHED"}
    prefs.server_user = "director"
    try:
        assert addon.ui.addon.login() == ("director", secret)
        bpy.ops.wm.save_userpref()
        bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "with_login.blend"))
        files = [tmp_path / "with_login.blend", *USER_RESOURCES.rglob("userpref.blend")]
        assert len(files) >= 2
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"the password is in {path}"
    finally:
        addon.ui.login.set_password("")
        prefs.server_user = ""


def test_save_as_elsewhere_takes_the_unsaved_work_along(addon, scene, drive, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(first / "a.blend"))
    saved = shot(addon, "saved with a.blend")
    drive(jobs_finished(addon))
    bpy.ops.wm.save_mainfile()  # this clip is in a.blend: it stays a.blend's
    unsaved = shot(addon, "placed after the last save", frame=40)
    drive(jobs_finished(addon))
    bpy.ops.wm.save_as_mainfile(filepath=str(second / "b.blend"))
    by_job = {s["bmd_job_id"]: s for s in clips()}
    assert by_job[unsaved.id].filepath.startswith("//movie_director/")
    assert clip_file(by_job[unsaved.id]).parent == second / "movie_director"
    # a.blend's clip is copied: b's project holds its own, a's keeps its clip
    copy = clip_file(by_job[saved.id])
    assert copy.parent == second / "movie_director" and by_job[saved.id].filepath.startswith("//movie_director/")
    assert (first / "movie_director" / copy.name).is_file()
    assert json.loads(copy.with_suffix(".json").read_text())["video_path"] == str(copy)  # its sidecar came too
    assert journal_ids(second / "movie_director" / "b.journal.json") == {unsaved.id}
    assert journal_ids(first / "movie_director" / "a.journal.json") == {saved.id}
    library = json.loads((second / "movie_director" / "b.library.json").read_text())
    new_session(addon)
    shutil.move(str(first), tmp_path / "one-moved-away")  # b's project stands on its own
    bpy.ops.wm.open_mainfile(filepath=str(second / "b.blend"))
    settle(addon, drive)
    assert sorted(s["bmd_job_id"] for s in clips()) == sorted([saved.id, unsaved.id])
    assert all(clip_file(s).is_file() and clip_file(s).parent == second / "movie_director" for s in clips())
    assert len(library["clips"]) == 2 and all(str(first) not in json.dumps(c) for c in library["clips"]), library
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "one-moved-away" / "a.blend"))
    assert all(clip_file(s).is_file() for s in clips())  # a's project is intact
