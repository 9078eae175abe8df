"""The add-on's job manager: one worker thread does all the network work, the UI only reads.

Blender's main thread calls `submit()`/`cancel()` (which return at once) and `drain()` from its
timer tick; the worker connects, submits in order, polls, collects results and reports back
through a queue. Every object crossing threads is an immutable snapshot. No bpy here.

Whatever goes wrong while handling one job (a typed error, an OSError, a bug) ends that job in a
state the user sees, with a message; the worker and the other jobs carry on.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..client.job import GenerationJob
from ..client.wan2gp_client import Wan2GPClient
from ..common.enums import JobState
from ..common.errors import DirectorError, JobCancelledError, JobTimeoutError, JournalCorrupt, TransportError
from ..common.settings import GenerationSettings, SimulationOptions
from .journal_book import JournalBook
from .reconnect import Reconnect
from .records import Event, JobChanged, JobRecord, ServerChanged, ServerInfo, Slot

STATUS_INTERVAL = 3.0  # how often the worker refreshes the server's state for the Server panel


class JobManager:
    """One project's queue of jobs against one server. Over 200 lines because it is the one place
    where the worker's steps (connect, send, poll, cancel, journal) are sequenced; each step's own
    logic lives in the client (GenerationJob), Reconnect and JournalBook."""

    def __init__(self, url: str, *, poll_interval: float = 0.25, stall_seconds: float | None = None,
                 connect_grace: float = 5.0,
                 client_factory: Callable[[str], Wan2GPClient] | None = None) -> None:
        self.url = url
        self.poll_interval = poll_interval
        self.stall_seconds = stall_seconds  # None: GenerationJob's default
        self.connect_grace = connect_grace
        self._reconnect = Reconnect()
        self._client_factory = client_factory or (lambda u: Wan2GPClient(u))
        self._client: Wan2GPClient | None = None
        self._lock = threading.Lock()
        self._records: dict[str, JobRecord] = {}
        self._pending: list[str] = []  # queued here, not yet sent
        self._live: dict[str, GenerationJob] = {}
        self._cancels: set[str] = set()
        self._events: queue.Queue[Event] = queue.Queue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._refresh_server = True
        self._status_due = 0.0  # monotonic time of the next server status refresh
        self.server = ServerInfo(url)
        self._journals = JournalBook()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ main-thread API (never blocks)

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="bmd-jobs", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def set_url(self, url: str) -> None:
        with self._lock:
            if url != self.url:
                self.url = url
                self._refresh_server = True
        self._wake.set()

    def refresh_server(self) -> None:
        self._refresh_server = True
        self._wake.set()

    @property
    def journal_error(self) -> str:
        return self._journals.error

    def submit(self, settings: GenerationSettings, slot: Slot, output_dir: Path, *, label: str = "",
               simulation: SimulationOptions | None = None) -> JobRecord:
        record = JobRecord(id=uuid.uuid4().hex[:12], settings=settings, slot=slot, output_dir=output_dir,
                           label=label or settings.prompt[:40], simulation=simulation)
        with self._lock:
            self._records[record.id] = record
            self._pending.append(record.id)
        self._journals.mark(record.output_dir)
        self._events.put(JobChanged(record))
        self.start()
        self._wake.set()
        return record

    def retry(self, job_id: str) -> JobRecord | None:
        old = self.get(job_id)
        if old is None or not old.state.is_terminal:
            return None
        return self.submit(old.settings, old.slot, old.output_dir, label=old.label, simulation=old.simulation)

    def cancel(self, job_id: str) -> None:
        with self._lock:
            self._cancels.add(job_id)
        self._wake.set()

    def forget(self, job_id: str) -> None:
        with self._lock:
            record = self._records.get(job_id)
            if record is None or not record.state.is_terminal:
                return
            del self._records[job_id]
        self._journals.mark(record.output_dir)
        self._wake.set()

    def mark_placed(self, job_id: str) -> None:
        """The main thread put this job's clip on the timeline."""
        self._update(job_id, placed=True, notify=False)
        self._wake.set()

    def load_journal(self, folder: Path) -> list[JobRecord]:
        """Bring back a project's jobs after a restart: unfinished ones come back INTERRUPTED
        (Retry resubmits them), finished ones not yet placed come back to be placed."""
        try:
            stored = self._journals.load(folder)
        except JournalCorrupt as error:
            self._journals.error = str(error)
            return []
        restored = []
        with self._lock:
            for record in stored:
                if record.id in self._records:
                    continue
                if not record.state.is_terminal:
                    record = record.model_copy(update={
                        "state": JobState.INTERRUPTED, "updated_at": time.time(),
                        "error": "Blender stopped while this job ran", "error_hint": "press Retry to queue it again"})
                self._records[record.id] = record
                restored.append(record)
        if restored:
            self._journals.mark(Path(folder))
        for record in restored:
            self._events.put(JobChanged(record))
        self._wake.set()
        return restored

    def jobs(self) -> list[JobRecord]:
        with self._lock:
            return list(self._records.values())

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._records.get(job_id)

    def drain(self, limit: int = 200) -> list[Event]:
        """Events since the last call (for the main thread's tick)."""
        events: list[Event] = []
        while len(events) < limit:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                break
        return events

    @property
    def busy(self) -> bool:
        with self._lock:
            return any(not r.state.is_terminal for r in self._records.values())

    # ------------------------------------------------------------ the worker thread

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception as exc:  # a fault outside any one job: the worker survives and says so
                self._set_server(ServerInfo(self.url, error=f"internal error: {exc!r}",
                                            error_hint="please report it with the console's text"))
                traceback.print_exc()
            self._wake.wait(self.poll_interval)
            self._wake.clear()
        self._flush_journals()
        if self._client is not None:
            self._client.close()

    def _step(self) -> None:
        if self._refresh_server:
            self._refresh_server = False
            if self._connect() is not None:
                self._reconnect.succeeded()
        self._handle_cancels()
        self._submit_pending()
        self._poll_live()
        self._refresh_status()
        self._flush_journals()

    def _connect(self) -> Wan2GPClient | None:
        if self._client is not None and self._client.url != self.url.rstrip("/"):
            self._client.close()
            self._client = None
        client = self._client or self._client_factory(self.url)
        try:
            status = client.connect() if not client.connected else client.server_status()
            models = tuple(client.list_models(refresh=True))
        except DirectorError as error:
            self._lost(client, error)
            return None
        except Exception as exc:  # e.g. a dependency missing from this Blender: waiting jobs must still end
            traceback.print_exc()
            self._lost(client, DirectorError(
                f"Movie Director could not talk to the server: {type(exc).__name__}: {exc}",
                hint="reinstall the extension (a package it needs is missing or broken); the console has details"))
            return None
        self._client = client
        self._set_server(ServerInfo(self.url, status=status, models=models))
        self._status_due = time.monotonic() + STATUS_INTERVAL
        return client

    def _lost(self, client: Wan2GPClient | None, error: DirectorError) -> None:
        if client is not None:
            client.close()
        self._client = None
        self._set_server(ServerInfo(self.url, error=error.message, error_hint=error.hint))

    def _refresh_status(self, force: bool = False) -> None:
        """The Server panel's busy/idle, queue and connected state: every few seconds and after every
        job change, from here (never from the main thread)."""
        client = self._client
        if client is None or not client.connected or (not force and time.monotonic() < self._status_due):
            return
        self._status_due = time.monotonic() + STATUS_INTERVAL
        try:
            status = client.server_status()
        except DirectorError as error:
            self._lost(client, error)
            self._reconnect.mark_down()
            return
        self._set_server(ServerInfo(self.url, status=status, models=self.server.models))

    def _set_server(self, info: ServerInfo) -> None:
        self.server = info
        self._events.put(ServerChanged(info))

    def _update(self, job_id: str, notify: bool = True, **changes: Any) -> JobRecord | None:
        with self._lock:
            record = self._records.get(job_id)
            if record is None:
                return None
            state_changed = "state" in changes and changes["state"] is not record.state
            record = record.model_copy(update={**changes, "updated_at": time.time()})
            self._records[job_id] = record
        if state_changed or "placed" in changes:
            self._journals.mark(record.output_dir)  # progress ticks alone are not journalled
            self._status_due = 0.0  # the server's queue changed too
        if notify:
            self._events.put(JobChanged(record))
        return record

    def _flush_journals(self) -> None:
        def records_in(folder: Path) -> list[JobRecord]:
            with self._lock:
                return [r for r in self._records.values() if r.output_dir == folder]

        self._journals.flush(records_in)

    def _handle_cancels(self) -> None:
        with self._lock:
            cancels, self._cancels = self._cancels, set()
        for job_id in cancels:
            with self._lock:
                was_pending = job_id in self._pending
                if was_pending:
                    self._pending.remove(job_id)
            live = self._live.get(job_id)
            if was_pending:
                self._update(job_id, state=JobState.CANCELLED, error="Cancelled before it was sent")
            elif live is not None:
                # the server's cancel may wait for the engine to let go: not on this loop
                threading.Thread(target=live.cancel, name=f"bmd-cancel-{job_id}", daemon=True).start()

    def _submit_pending(self) -> None:
        """Send queued jobs in order. While the server is unreachable they wait (reconnecting with
        backoff) for `connect_grace` seconds, then fail with the reason: a restart of the server
        costs no job that was not yet sent."""
        while True:
            with self._lock:
                if not self._pending:
                    return
                job_id = self._pending.pop(0)
                record = self._records.get(job_id)
            if record is None:
                continue
            client = self._reachable_client()
            if client is None:
                with self._lock:
                    self._pending.insert(0, job_id)
                if self._reconnect.down_for() < self.connect_grace:
                    return  # keep waiting: try again on a later round
                for waiting in self._take_all_pending():
                    self._fail(waiting, self.server.error or f"No Director server at {self.url}",
                               hint=self.server.error_hint)
                return
            self._guarded(job_id, self._send, record, client)

    def _send(self, record: JobRecord, client: Wan2GPClient) -> None:
        job = client.submit(record.settings, output_dir=record.output_dir, simulation=record.simulation)
        if self.stall_seconds is not None:
            job.stall_seconds = self.stall_seconds
        self._live[record.id] = job
        self._update(record.id, state=JobState.SUBMITTING, server_job_id=job.id)
        self._wait_acknowledged(job)  # keeps the server's queue in the order jobs were asked for

    def _reachable_client(self) -> Wan2GPClient | None:
        if self._client is not None and self._client.connected and not self._reconnect.is_down:
            return self._client
        if not self._reconnect.may_try():
            return None
        client = self._connect()
        if client is not None:
            self._reconnect.succeeded()
            return client
        self._reconnect.failed()
        return None

    def _take_all_pending(self) -> list[str]:
        with self._lock:
            taken, self._pending = self._pending, []
        self._reconnect.succeeded()
        return taken

    def _wait_acknowledged(self, job: GenerationJob, timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while job.status().state is JobState.SUBMITTING and not job.done() and time.monotonic() < deadline:
            time.sleep(0.01)

    def _poll_live(self) -> None:
        for job_id, job in list(self._live.items()):
            self._guarded(job_id, self._poll_one, job_id, job)

    def _poll_one(self, job_id: str, job: GenerationJob) -> None:
        if not job.done() and job.check_alive():
            status = job.status()
            self._update(job_id, state=status.state, status=status)
            return
        try:
            result = job.result(timeout=5)
        except JobTimeoutError:
            return
        except JobCancelledError as error:
            self._live.pop(job_id, None)
            self._update(job_id, state=JobState.CANCELLED, status=job.status(), error=error.message)
            return
        except TransportError as error:
            self._live.pop(job_id, None)
            self._fail_with(job_id, error)
            self._reconnect.mark_down()  # reconnect before sending more
            return
        self._live.pop(job_id)
        self._update(job_id, state=JobState.SUCCEEDED, status=job.status(), result=result)

    def _guarded(self, job_id: str, handle: Callable[..., None], *args: Any) -> None:
        """Run one job's step; any failure ends that job (with its message), never the worker."""
        try:
            handle(*args)
        except DirectorError as error:
            self._live.pop(job_id, None)
            self._fail_with(job_id, error)
        except Exception as exc:  # an OSError, a bug: still a message the user sees
            self._live.pop(job_id, None)
            traceback.print_exc()
            self._fail(job_id, f"{type(exc).__name__}: {exc}",
                       hint="this is a fault in Movie Director or your system; the console has details")

    def _fail_with(self, job_id: str, error: DirectorError) -> None:
        self._fail(job_id, error.message, hint=error.hint, detail=getattr(error, "stage", ""))

    def _fail(self, job_id: str, message: str, *, hint: str = "", detail: str = "") -> None:
        self._update(job_id, state=JobState.FAILED, error=message, error_hint=hint, error_detail=detail)
