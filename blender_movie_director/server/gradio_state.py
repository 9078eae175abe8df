"""Bounding what gradio itself keeps per call.

gradio 5.29 (Wan2GP's pin) never forgets an event: `Queue.event_ids_to_events` holds every call ever
made, with its whole HTTP request (a 100 KB junk argument stays 100 KB for ever; measured: +62 MB
per 300 such calls, +17 MB per 1,000 small ones). It also keeps an empty per-session entry for every
session that ever called. gradio 6 pops finished events itself.

`GradioPruner.sweep()` forgets events that are finished (in no waiting queue, running job or
session's pending set) once they were seen so in two sweeps in a row, so nothing is taken from under
a call that is just joining. It reads gradio's private queue, the same way in gradio 5 and 6, and
does nothing when that shape is not there. (Per-session entries gradio deletes itself when a
session's stream closes.)
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("bmd.server")

SWEEP_SECONDS = 2.0


class GradioPruner:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._seen_done: set[str] = set()
        self._stop = threading.Event()

    def sweep(self) -> int:
        """Forget finished events; returns how many went."""
        queue = getattr(self.app, "_queue", None)
        events = getattr(queue, "event_ids_to_events", None)
        pending_ids = getattr(queue, "pending_event_ids_session", None)
        if not isinstance(events, dict) or not isinstance(pending_ids, dict):
            return 0
        keep: set[str] = set()
        for ids in list(pending_ids.values()):
            keep.update(list(ids))
        for event_queue in list(getattr(queue, "event_queue_per_concurrency_id", {}).values()):
            keep.update(e._id for e in list(getattr(event_queue, "queue", [])))
        for job in list(getattr(queue, "active_jobs", []) or []):
            keep.update(e._id for e in list(job or []))
        done = {event_id for event_id in list(events) if event_id not in keep}
        forgotten = 0
        for event_id in done & self._seen_done:
            if events.pop(event_id, None) is not None:
                forgotten += 1
        self._seen_done = done - self._seen_done
        return forgotten

    def start(self, every: float = SWEEP_SECONDS) -> GradioPruner:
        def loop() -> None:
            while not self._stop.wait(every):
                try:
                    self.sweep()
                except Exception:  # gradio changed under us: stop trying, say so once
                    log.warning("could not prune gradio's finished events (gradio %s); memory may grow",
                                getattr(self.app, "version", "?"), exc_info=True)
                    return

        threading.Thread(target=loop, name="bmd-gradio-pruner", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

