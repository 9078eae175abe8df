"""Cancels the user asked for, handled on the job manager's worker: a job not sent yet (or only being
asked about) ends at once; a running one is cancelled off the worker's loop; either way its server hears
of it, now or as soon as it answers (jobs/server_cancels.py keeps and delivers those).

The job manager's piece (jobs/manager.py JobManager owns the records, the queue and the worker).
No bpy here.
"""

from __future__ import annotations

import threading

from ..common.enums import JobState
from ..common.errors import ServerUnavailableError
from .job_host import JobHost
from .reattach import Reattach
from .recorded_servers import same_server
from .server_cancels import PendingCancel


class CancelRequests:
    def __init__(self, host: JobHost, reattach: Reattach) -> None:
        self._host = host
        self._reattach = reattach
        self._requested: set[str] = set()  # under host._lock

    def request(self, job_id: str) -> None:
        host = self._host
        with host._lock:
            self._requested.add(job_id)

    def handle(self) -> None:
        host = self._host
        with host._lock:
            cancels, self._requested = self._requested, set()
        for job_id in cancels:
            with host._lock:
                was_pending = job_id in host._pending
                if was_pending:
                    host._pending.remove(job_id)
                checking = self._reattach.to_check.pop(job_id, None)
            record = host.get(job_id)
            if record is None:
                continue
            live = host._live.get(job_id)
            if was_pending or checking is not None:
                if checking is not None:
                    host._server_cancels.add(record.server_url or host.url, record.server_job_id)
                host._update(job_id, state=JobState.CANCELLED, waiting="",
                             error="Cancelled before it was sent" if was_pending else "Cancelled")
            elif live is not None:
                # the server's cancel may wait for the engine to let go: not on this loop; and if the
                # server did not hear it, it hears it as soon as it answers again
                host._server_cancels.add(record.server_url or host.url, record.server_job_id)
                threading.Thread(target=live.cancel, name=f"bmd-cancel-{job_id}", daemon=True).start()

    def deliver(self) -> None:
        """Cancels the server has not heard yet: sent (off the loop) once it answers."""
        host = self._host
        if host._server_cancels.pending() and (host._client is None or host._reconnect.is_down):
            host._reachable_client()  # reconnect (with backoff) to deliver them, even with nothing else to do
        host._server_cancels.deliver(self._deliver_one)

    def _deliver_one(self, entry: PendingCancel) -> None:
        host = self._host
        url = entry.server_url or host.url
        client = host._client if same_server(url, host.url) else host._recorded.client_for(url)
        if client is None or not client.connected or (client is host._client and host._reconnect.is_down):
            raise ServerUnavailableError(entry.server_url, "not connected yet")
        client.cancel_job(entry.server_job_id)
