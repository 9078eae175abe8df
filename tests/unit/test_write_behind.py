"""The writer thread that takes the main thread's disk writes: in order, one failure stops nothing, and
a save (mark_saved) returns only once what was asked for before it is written."""

from __future__ import annotations

import threading
from pathlib import Path

from blender_movie_director.jobs import journal
from blender_movie_director.jobs.manager import JobManager
from blender_movie_director.jobs.write_behind import WriteBehind


def test_writes_happen_off_the_calling_thread_in_order_and_a_failure_stops_none() -> None:
    writer = WriteBehind()
    done: list[tuple[int, str]] = []

    def fail() -> None:
        raise OSError("disk full")

    for n in range(20):
        writer.submit(lambda n=n: done.append((n, threading.current_thread().name)))
        if n == 5:
            writer.submit(fail)
    writer.wait()
    assert [n for n, _ in done] == list(range(20))
    assert {name for _, name in done} == {"bmd-writes"}
    writer.close()
    writer.submit(lambda: done.append((20, threading.current_thread().name)))  # a new thread after close
    writer.close()
    assert done[-1][0] == 20


def test_a_save_waits_for_the_writes_asked_for_before_it(tmp_path: Path) -> None:
    path = tmp_path / "a.journal.json"
    journal.write(path, [])
    manager = JobManager("http://127.0.0.1:9")  # never started: no worker, only its writer
    gate = threading.Event()
    order: list[str] = []
    manager.writes.submit(gate.wait)  # a slow disk
    manager.writes.submit(lambda: order.append("library entry"))

    def save() -> None:
        manager.mark_saved(path)
        order.append("saved")

    saving = threading.Thread(target=save)
    saving.start()
    saving.join(1.0)  # had mark_saved not waited, it would have returned by now
    gate.set()
    saving.join()
    manager.stop()
    assert order == ["library entry", "saved"]
