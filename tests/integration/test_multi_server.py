"""Issue 17: one queue across several real (simulated) Director servers."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.enums import JobState
from blender_movie_director.common.protocol import new_client_id
from blender_movie_director.common.settings import SimulationOptions, parse_settings
from blender_movie_director.jobs.dispatch import ServerPool
from blender_movie_director.jobs.records import Slot
from blender_movie_director.jobs.server_pool import ServerEntry
from devtools.bench.multi_server import SHOT, run_batch, wait_connected
from tests.conftest import start_test_server
from tests.waiting import wait_until

pytestmark = pytest.mark.server


def _shot(n: int, steps: int, model_type: str = "t2v_1.3B"):
    return parse_settings({**SHOT, "model_type": model_type, "prompt": f"shot {n}", "num_inference_steps": steps,
                           "seed": n})


def _slot(n: int) -> Slot:
    return Slot(scene="Scene", channel=2, frame_start=1 + 20 * n, frames=17)


def test_eight_jobs_on_two_servers_take_clearly_less_time_than_on_one(tmp_path: Path) -> None:
    first, second = start_test_server(tmp_path / "a"), start_test_server(tmp_path / "b")
    try:
        one, records_one, _ = run_batch([first.url], 8, tmp_path / "one", steps=10, step_seconds=0.1)
        two, records_two, pool = run_batch([first.url, second.url], 8, tmp_path / "two", steps=10,
                                           step_seconds=0.1)
    finally:
        first.stop()
        second.stop()
    assert [r.state for r in records_one] == [JobState.SUCCEEDED] * 8
    assert [r.state for r in records_two] == [JobState.SUCCEEDED] * 8
    used = {url for _, url in pool.dispatch_log}
    assert used == {first.url, second.url}  # both servers rendered
    assert len(pool.dispatch_log) == 8  # each job sent once
    assert all(r.server_url in used and r.result is not None and Path(r.result.video_path).exists()
               for r in records_two)
    ratio = one / two
    print(f"8 jobs: one server {one:.2f} s, two servers {two:.2f} s, ratio {ratio:.2f}")
    assert ratio >= 1.5


def test_killing_a_server_mid_run_moves_its_waiting_jobs_and_renders_nothing_twice(tmp_path: Path) -> None:
    first, second = start_test_server(tmp_path / "a"), start_test_server(tmp_path / "b")
    pool = ServerPool([ServerEntry(first.url), ServerEntry(second.url)], poll_interval=0.02, connect_grace=3.0)

    def on_second() -> tuple[list[str], list[str]]:
        mine = [(i, pool.get(i).state) for i in ids if pool.server_of(i) == second.url]
        return ([i for i, state in mine if state is JobState.RUNNING],
                [i for i, state in mine if state in (JobState.SUBMITTING, JobState.QUEUED)])

    try:
        pool.start()
        wait_connected(pool, 60)
        ids = [pool.submit(_shot(n, 30), _slot(n), tmp_path / "clips",
                           simulation=SimulationOptions(step_seconds=0.1)).id for n in range(6)]
        # the moment the second server has one job running (nearly done) and the next one sent to it
        wait_until(lambda: all(on_second()), 90, "a running and a waiting job on the second server")
        os.kill(second.pid, signal.SIGKILL)
        running, waiting = on_second()
        wait_until(lambda: all(pool.get(i).state.is_terminal for i in ids), 120, "every job to end",
                   explain=lambda: "\n".join(f"{i} {pool.get(i).state} {pool.server_of(i)} {pool.get(i).waiting}"
                                             for i in ids))
        records = {i: pool.get(i) for i in ids}
    finally:
        pool.stop()
        first.stop()
        second.stop()
    assert running and waiting
    # lost = 0: every job is accounted for and ended in a state the user sees
    assert len(records) == 6 and all(r.state.is_terminal for r in records.values())
    # the job that ran on the killed server stays with it (for reattach), is never sent elsewhere
    for job_id in running:
        assert pool.server_of(job_id) == second.url and pool.moved(job_id) == []
        assert records[job_id].state is not JobState.SUCCEEDED
    # the one only waiting there moved to the first server at once and was made there
    for job_id in waiting:
        assert pool.moved(job_id) == [second.url] and records[job_id].server_url == first.url
    # everything else rendered on the first server, once
    others = [i for i in ids if i not in running]
    assert all(records[i].state is JobState.SUCCEEDED and records[i].server_url == first.url for i in others)
    sent = [job for job, _ in pool.dispatch_log]
    for i in others:
        assert sent.count(i) == 1 + len(pool.moved(i))  # sent again only when taken back before it started
    print(f"killed the second server: {len(waiting)} waiting job(s) moved, {len(running)} running stayed, lost 0")


class _WithoutModel(Wan2GPClient):
    MISSING = "t2v_fusionix"

    def list_models(self, *, refresh: bool = False):  # type: ignore[no-untyped-def]
        return [m for m in super().list_models(refresh=refresh) if m.id != self.MISSING]


def test_a_model_only_one_server_has_goes_to_that_server(tmp_path: Path) -> None:
    first, second = start_test_server(tmp_path / "a"), start_test_server(tmp_path / "b")
    ids_by_url = {first.url: new_client_id(), second.url: new_client_id()}

    def factory(url: str) -> Wan2GPClient:
        kind = _WithoutModel if url.rstrip("/") == first.url else Wan2GPClient
        return kind(url, client_id=ids_by_url[url.rstrip("/")])

    pool = ServerPool([ServerEntry(first.url), ServerEntry(second.url)], poll_interval=0.05, client_factory=factory)
    try:
        pool.start()
        wait_connected(pool, 60)
        first_models = {m.id for m in pool.manager_for(first.url).server.models}
        assert _WithoutModel.MISSING not in first_models
        assert _WithoutModel.MISSING in {m.id for m in pool.server.models}  # pickable: another server has it
        ids = [pool.submit(_shot(n, 4, _WithoutModel.MISSING), _slot(n), tmp_path / "clips",
                           simulation=SimulationOptions(step_seconds=0.02)).id for n in range(3)]
        wait_until(lambda: all(pool.get(i).state.is_terminal for i in ids), 60, "the jobs to end")
        records = [pool.get(i) for i in ids]
    finally:
        pool.stop()
        first.stop()
        second.stop()
    assert all(r.state is JobState.SUCCEEDED and r.server_url == second.url for r in records)
    assert {url for _, url in pool.dispatch_log} == {second.url}


def test_jobs_on_two_servers_come_back_after_blender_stopped(tmp_path: Path) -> None:
    """Each server's manager journals its own jobs beside the project's journal; a new session's pool
    brings every one back from the server that had it (fetched or followed, not rendered again)."""
    first, second = start_test_server(tmp_path / "a"), start_test_server(tmp_path / "b")
    ids_by_url = {first.url: new_client_id(), second.url: new_client_id()}  # one identity across sessions

    def factory(url: str) -> Wan2GPClient:
        return Wan2GPClient(url, client_id=ids_by_url[url.rstrip("/")])

    project = tmp_path / "project" / "shots.movie_director.json"
    entries = [ServerEntry(first.url), ServerEntry(second.url)]
    pool = ServerPool(entries, poll_interval=0.05, client_factory=factory)
    try:
        pool.start()
        wait_connected(pool, 60)
        ids = [pool.submit(_shot(n, 20), _slot(n), tmp_path / "clips", project=project,
                           simulation=SimulationOptions(step_seconds=0.1)).id for n in range(2)]
        wait_until(lambda: all(pool.get(i).state is JobState.RUNNING for i in ids), 60, "both to run")
        sent_to = {i: pool.server_of(i) for i in ids}
        assert set(sent_to.values()) == {first.url, second.url}
        pool.stop()  # Blender quits while both render
        again = ServerPool(entries, poll_interval=0.05, client_factory=factory)
        try:
            back = again.load_journal(project)
            again.start()
            assert {r.slot.frame_start for r in back} == {1, 21}
            wait_until(lambda: all(r.state.is_terminal for r in again.jobs(project=project)), 60, "them to end")
            records = again.jobs(project=project)
            assert all(r.state is JobState.SUCCEEDED and r.result is not None for r in records), records
            assert {r.server_url for r in records} == {first.url, second.url}
            assert again.dispatch_log == []  # nothing was sent again
        finally:
            again.stop()
    finally:
        pool.stop()
        first.stop()
        second.stop()


def test_a_slow_server_does_not_hoard_jobs_a_fast_one_could_start(tmp_path: Path) -> None:
    slow, fast = start_test_server(tmp_path / "slow", step_seconds=0.4), start_test_server(tmp_path / "fast",
                                                                                           step_seconds=0.02)
    pool = ServerPool([ServerEntry(slow.url), ServerEntry(fast.url)], poll_interval=0.02)
    try:
        pool.start()
        wait_connected(pool, 60)
        ids = [pool.submit(_shot(n, 10), _slot(n), tmp_path / "clips").id for n in range(8)]  # each server's pace
        wait_until(lambda: all(pool.get(i).state.is_terminal for i in ids), 120, "every job to end")
        records = [pool.get(i) for i in ids]
    finally:
        pool.stop()
        slow.stop()
        fast.stop()
    assert all(r.state is JobState.SUCCEEDED for r in records)
    on_slow = sum(1 for r in records if r.server_url == slow.url)
    print(f"slow server made {on_slow} of 8, the fast one {8 - on_slow}")
    assert on_slow <= 2  # the fast one took the rest as it freed up: nothing waited in the slow one's queue


def test_finishing_a_clip_goes_to_any_free_server(tmp_path: Path) -> None:
    from blender_movie_director.client.finishing import finish_settings

    first, second = start_test_server(tmp_path / "a"), start_test_server(tmp_path / "b")
    pool = ServerPool([ServerEntry(first.url), ServerEntry(second.url)], poll_interval=0.05)
    try:
        pool.start()
        wait_connected(pool, 60)
        made = pool.submit(_shot(0, 2), _slot(0), tmp_path / "clips", simulation=SimulationOptions(step_seconds=0.02))
        wait_until(lambda: pool.get(made.id).state.is_terminal, 60, "the clip")
        clip = pool.get(made.id).result
        assert clip is not None
        # a clip described only by its file: model "clip", which no catalog has
        finish = pool.submit(finish_settings(clip.video_path, "upscale"), _slot(1), tmp_path / "clips")
        wait_until(lambda: pool.get(finish.id).state.is_terminal, 60, "the finishing job",
                   explain=lambda: f"{pool.get(finish.id)}")
        assert pool.get(finish.id).state is JobState.SUCCEEDED, pool.get(finish.id).error
    finally:
        pool.stop()
        first.stop()
        second.stop()
