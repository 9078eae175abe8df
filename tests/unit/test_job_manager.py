"""The job manager's worker: whatever fails, each job ends in a state the user sees."""

from __future__ import annotations

from pathlib import Path

from blender_movie_director.common.enums import JobState
from blender_movie_director.common.settings import GenerationSettings
from blender_movie_director.jobs.manager import JobManager
from blender_movie_director.jobs.records import Slot
from tests.waiting import wait_until


class _BrokenClient:
    """A client whose very first use fails the way a Blender without `idna` did."""

    url = "http://127.0.0.1:9"
    connected = False

    def connect(self):
        raise ModuleNotFoundError("No module named 'idna'")

    def close(self) -> None:
        pass


def test_a_missing_module_fails_waiting_jobs_with_a_message(tmp_path: Path) -> None:
    manager = JobManager("http://127.0.0.1:9", poll_interval=0.02, connect_grace=1.0,
                         client_factory=lambda url: _BrokenClient())  # type: ignore[arg-type,return-value]
    try:
        record = manager.submit(GenerationSettings(model_type="t2v_1.3B", prompt="a fox"),
                                Slot(scene="Scene", channel=2, frame_start=1, frames=17), tmp_path)
        wait_until(lambda: manager.get(record.id).state.is_terminal, 20, "the job to end")
        failed = manager.get(record.id)
        assert failed.state is JobState.FAILED and "idna" in failed.error and "reinstall" in failed.error_hint
        assert "idna" in manager.server.error  # the Server panel says it too
    finally:
        manager.stop()
