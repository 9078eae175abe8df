from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from blender_movie_director.common.enums import JobState
from blender_movie_director.common.messages import JobResult
from blender_movie_director.common.settings import GenerationSettings
from blender_movie_director.jobs import journal
from blender_movie_director.jobs.manager import JobManager, with_concrete_seed
from blender_movie_director.jobs.records import JobRecord, Slot
from tests.waiting import wait_until


def record(folder: Path, job_id: str, state: JobState, **extra) -> JobRecord:
    return JobRecord(id=job_id, settings=GenerationSettings(model_type="t2v", prompt=f"shot {job_id}", seed=7),
                     slot=Slot(scene="Scene", channel=2, frame_start=10, frames=17), output_dir=folder,
                     label=job_id, state=state, project=folder / "a.journal.json", **extra)


def result(folder: Path, name: str) -> JobResult:
    clip = folder / f"{name}.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    return JobResult(job_id=name, engine="simulated", seed=7, settings=GenerationSettings(model_type="t2v", prompt="x"),
                     frames=17, fps=16, width=448, height=256, output_name=clip.name, started_at=1, finished_at=2,
                     video_path=clip, sidecar_path=clip.with_suffix(".json"), submitted_at=1, downloaded_at=2)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    path = tmp_path / "a.journal.json"
    records = [record(tmp_path, "a1", JobState.RUNNING, server_job_id="srv00001", server_url="http://x:1"),
               record(tmp_path, "b2", JobState.SUCCEEDED, placed=True, placement_saved=True)]
    journal.write(path, records)
    assert journal.read(path).records == records
    assert [p.name for p in tmp_path.iterdir()] == ["a.journal.json"]  # no partial file left behind


def test_each_blend_has_its_own_journal(tmp_path: Path) -> None:
    a, b = journal.journal_for_blend(tmp_path / "a.blend"), journal.journal_for_blend(tmp_path / "b.blend")
    assert a != b and a.parent == b.parent == tmp_path / "movie_director"
    assert a.name == "a.journal.json"


def test_a_moved_project_keeps_its_paths(tmp_path: Path) -> None:
    old = tmp_path / "before" / "movie_director"
    old.mkdir(parents=True)
    done = record(old, "done1", JobState.SUCCEEDED, result=result(old, "clip1"))
    journal.write(old / "a.journal.json", [done])
    shutil.move(str(tmp_path / "before"), tmp_path / "after")
    new = tmp_path / "after" / "movie_director"
    contents = journal.read(new / "a.journal.json")
    (moved,) = contents.records
    assert contents.moved_from == old
    assert moved.output_dir == new and moved.project == new / "a.journal.json"
    assert moved.result.video_path == new / "clip1.mp4" and moved.result.video_path.is_file()


def test_a_corrupt_journal_is_kept_aside_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "a.journal.json"
    path.write_text('{"version": 1, "jobs": [{"id": ')
    with pytest.raises(journal.JournalCorrupt) as caught:
        journal.read(path)
    assert caught.value.moved_to.exists() and caught.value.moved_to.read_text().startswith('{"version"')
    assert journal.read(path).records == []
    manager = JobManager("http://127.0.0.1:9")
    path.write_text(json.dumps({"jobs": [{"id": 3}]}))
    assert manager.load_journal(path) == []
    assert "unreadable" in manager.journal_error


def test_restart_asks_about_unfinished_jobs_then_offers_retry(tmp_path: Path) -> None:
    path = tmp_path / "a.journal.json"
    journal.write(path, [record(tmp_path, "run1", JobState.RUNNING, server_job_id="srvrun01"),
                         record(tmp_path, "que2", JobState.QUEUED, server_job_id="srvque02"),
                         record(tmp_path, "old3", JobState.RUNNING),  # an older version's: no server job id
                         record(tmp_path, "can4", JobState.RUNNING, server_job_id="srvcan04", cancel_requested=True),
                         record(tmp_path, "done5", JobState.SUCCEEDED, placed=True),
                         record(tmp_path, "gone6", JobState.FAILED)])
    manager = JobManager("http://127.0.0.1:9", poll_interval=0.02, connect_grace=0.5)  # nobody there
    try:
        restored = {r.id: r for r in manager.load_journal(path)}
        assert "asking the server" in restored["run1"].waiting and not restored["run1"].state.is_terminal
        assert restored["old3"].state is JobState.INTERRUPTED and "Retry" in restored["old3"].error_hint
        assert restored["can4"].state is JobState.CANCELLED
        assert [c.server_job_id for c in manager.server_cancels.pending()] == ["srvcan04"]
        assert restored["done5"].state is JobState.SUCCEEDED and not restored["done5"].placed  # placed, not saved
        assert restored["gone6"].state is JobState.FAILED
        wait_until(lambda: manager.get("run1").state.is_terminal and manager.get("que2").state.is_terminal, 20,
                   "the server wait to end")
        assert manager.get("run1").state is JobState.INTERRUPTED and "did not answer" in manager.get("run1").error
        assert {r.id for r in manager.load_journal(path)} == set(restored)  # loading twice adds nothing
    finally:
        manager.stop()


def test_one_bad_record_is_set_aside_and_the_others_survive(tmp_path: Path) -> None:
    path = tmp_path / "a.journal.json"
    good = record(tmp_path, "done1", JobState.SUCCEEDED, server_job_id="srv00001")
    payload = {"version": 2, "jobs": [json.loads(good.model_dump_json()), {"id": "broken", "state": "??"}]}
    path.write_text(json.dumps(payload))
    manager = JobManager("http://127.0.0.1:9")
    (restored,) = manager.load_journal(path)
    assert restored.id == "done1" and restored.state is JobState.SUCCEEDED  # the finished clip is not lost
    assert "1 job record" in manager.journal_error and "set aside" in manager.journal_error
    manager.stop()  # the worker has rewritten the journal (or stop() does): the unreadable entry is kept as it was
    kept = json.loads(path.read_text())
    assert kept["unreadable"] == [{"id": "broken", "state": "??"}] and [j["id"] for j in kept["jobs"]] == ["done1"]


def test_placement_is_written_soon_and_saved_placements_never_repeat(tmp_path: Path) -> None:
    path = tmp_path / "a.journal.json"
    journal.write(path, [record(tmp_path, "done1", JobState.SUCCEEDED)])
    manager = JobManager("http://127.0.0.1:9")  # never started: its writer thread writes these
    (loaded,) = manager.load_journal(path)
    manager.mark_placed(loaded.id)
    manager.writes.wait()
    assert journal.read(path).records[0].placed and not journal.read(path).records[0].placement_saved
    manager.mark_saved(path)
    assert journal.read(path).records[0].placement_saved
    again = JobManager("http://127.0.0.1:9")
    (reloaded,) = again.load_journal(path)
    assert reloaded.placed and reloaded.placement_saved


def test_seeds_are_chosen_when_queued() -> None:
    random_seed = GenerationSettings(model_type="t2v", prompt="x")
    assert random_seed.seed == -1 and with_concrete_seed(random_seed).seed >= 0
    assert with_concrete_seed(random_seed.model_copy(update={"seed": 5})).seed == 5


def test_a_project_saved_for_the_first_time_takes_its_jobs_and_clips(tmp_path: Path) -> None:
    session, project = tmp_path / "user" / "session.journal.json", tmp_path / "film" / "movie_director" / "f.journal.json"
    (tmp_path / "user").mkdir()
    clip = result(tmp_path / "user", "early")
    clip.sidecar_path.write_text(clip.model_dump_json())
    journal.write(session, [record(tmp_path / "user", "done1", JobState.SUCCEEDED, result=clip, placed=True)
                            .model_copy(update={"project": session})])
    manager = JobManager("http://127.0.0.1:9")
    manager.load_journal(session)
    moved = manager.move_project(session, project, project.parent)
    assert moved == {tmp_path / "user" / "early.mp4": project.parent / "early.mp4"}
    assert not session.exists() and not (tmp_path / "user" / "early.mp4").exists()
    (kept,) = journal.read(project).records
    assert kept.result.video_path == project.parent / "early.mp4" and kept.output_dir == project.parent
    sidecar = json.loads((project.parent / "early.json").read_text())
    assert sidecar["video_path"] == str(project.parent / "early.mp4")
    assert not (tmp_path / "user" / "early.json").exists()
