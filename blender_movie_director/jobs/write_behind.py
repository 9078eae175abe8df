"""Disk writes Blender's main thread must not wait for (a clip's library entry, a job's "placed" flag).

Each one is an fsync'd file rewrite (a few ms): done on Blender's timer tick they stall the UI when a
clip is placed. One small thread writes them instead, in the order they were asked for, at once;
`wait()` returns once every write asked for so far is on disk (a save of the .blend calls it, so the
file and the journal agree). A write that raises is reported on the console; the next ones go on.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable

Write = Callable[[], None]


class WriteBehind:
    def __init__(self, name: str = "bmd-writes") -> None:
        self._name = name
        self._queue: queue.Queue[Write | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, write: Write) -> None:
        """Write soon, after every write submitted before it (returns at once)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put(write)

    def wait(self) -> None:
        """Every write submitted so far is done."""
        self._queue.join()

    def close(self, timeout: float = 5.0) -> None:
        """Finish what is queued, then let the thread end (a later submit starts a new one)."""
        with self._lock:  # held throughout: no new thread shares the queue with the one ending
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            write = self._queue.get()
            try:
                if write is None:
                    return
                write()
            except Exception:  # one failed write must not stop the ones after it
                traceback.print_exc()
            finally:
                self._queue.task_done()
