from __future__ import annotations

import json
from pathlib import Path

import pytest

from blender_movie_director.common.enums import JobState
from blender_movie_director.common.settings import GenerationSettings
from blender_movie_director.jobs import journal
from blender_movie_director.jobs.manager import JobManager
from blender_movie_director.jobs.records import JobRecord, Slot


def record(tmp_path: Path, job_id: str, state: JobState, **extra) -> JobRecord:
    return JobRecord(id=job_id, settings=GenerationSettings(model_type="t2v", prompt=f"shot {job_id}"),
                     slot=Slot(scene="Scene", channel=2, frame_start=10, frames=17), output_dir=tmp_path,
                     label=job_id, state=state, **extra)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    records = [record(tmp_path, "a1", JobState.RUNNING, server_job_id="srv1"),
               record(tmp_path, "b2", JobState.SUCCEEDED, placed=True)]
    journal.write(tmp_path, records)
    assert journal.read(tmp_path).records == records
    assert [p.name for p in tmp_path.iterdir()] == ["journal.json"]  # no partial file left behind


def test_a_corrupt_journal_is_kept_aside_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "journal.json").write_text('{"version": 1, "jobs": [{"id": ')
    with pytest.raises(journal.JournalCorrupt) as caught:
        journal.read(tmp_path)
    assert caught.value.moved_to.exists() and caught.value.moved_to.read_text().startswith('{"version"')
    assert journal.read(tmp_path).records == []
    manager = JobManager("http://127.0.0.1:9")
    (tmp_path / "journal.json").write_text(json.dumps({"jobs": [{"id": 3}]}))
    assert manager.load_journal(tmp_path) == []
    assert "unreadable" in manager.journal_error


def test_restart_brings_jobs_back(tmp_path: Path) -> None:
    journal.write(tmp_path, [record(tmp_path, "run1", JobState.RUNNING), record(tmp_path, "que2", JobState.QUEUED),
                             record(tmp_path, "done3", JobState.SUCCEEDED), record(tmp_path, "gone4", JobState.FAILED)])
    manager = JobManager("http://127.0.0.1:9")
    restored = {r.id: r for r in manager.load_journal(tmp_path)}
    assert restored["run1"].state is JobState.INTERRUPTED and "Retry" in restored["run1"].error_hint
    assert restored["que2"].state is JobState.INTERRUPTED
    assert restored["done3"].state is JobState.SUCCEEDED and not restored["done3"].placed
    assert restored["gone4"].state is JobState.FAILED
    assert manager.load_journal(tmp_path) == []  # loading twice adds nothing


def test_one_bad_record_is_set_aside_and_the_others_survive(tmp_path: Path) -> None:
    good = record(tmp_path, "done1", JobState.SUCCEEDED, server_job_id="srv1")
    payload = {"version": 1, "jobs": [json.loads(good.model_dump_json()), {"id": "broken", "state": "??"}]}
    (tmp_path / "journal.json").write_text(json.dumps(payload))
    manager = JobManager("http://127.0.0.1:9")
    (restored,) = manager.load_journal(tmp_path)
    assert restored.id == "done1" and restored.state is JobState.SUCCEEDED  # the finished clip is not lost
    assert "1 job record" in manager.journal_error and "set aside" in manager.journal_error
    manager._flush_journals()  # rewriting the journal keeps the unreadable entry as it was
    kept = json.loads((tmp_path / "journal.json").read_text())
    assert kept["unreadable"] == [{"id": "broken", "state": "??"}] and [j["id"] for j in kept["jobs"]] == ["done1"]

