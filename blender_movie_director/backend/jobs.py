"""The add-on's job manager: one worker thread does all the network work, the UI only reads.

Blender's main thread calls `submit()`/`cancel()` (which return at once) and `drain()` from its
timer tick; the worker connects, submits in order, polls, collects results and reports back
through a queue. Every object crossing threads is an immutable snapshot. No bpy here.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from . import journal
from .wan2gp.client import Wan2GPClient
from .wan2gp.enums import JobState
from .wan2gp.errors import DirectorError, JobCancelledError, JobTimeoutError
from .wan2gp.job import GenerationJob
from .wan2gp.schemas import GenerationSettings, JobResult, JobStatus, ModelInfo, ServerStatus, SimulationOptions


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Slot(_Frozen):
    """Where a clip goes, captured when the job is queued."""

    scene: str
    channel: int
    frame_start: int
    frames: int


class JobRecord(_Frozen):
    """What the UI knows about one job (a snapshot; replaced, never mutated). Journalled as JSON."""

    id: str
    settings: GenerationSettings
    slot: Slot
    output_dir: Path
    label: str
    state: JobState = JobState.SUBMITTING
    status: JobStatus | None = None
    error: str = ""
    error_detail: str = ""
    result: JobResult | None = None
    server_job_id: str = ""
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    simulation: SimulationOptions | None = None
    placed: bool = False  # its clip is on the timeline (set by the add-on's main thread)

    @property
    def progress(self) -> float:
        return self.status.progress if self.status else 0.0


@dataclass(frozen=True)
class ServerInfo:
    url: str
    status: ServerStatus | None = None
    models: tuple[ModelInfo, ...] = ()
    error: str = ""
    checked_at: float = field(default_factory=time.time)

    @property
    def connected(self) -> bool:
        return self.status is not None


# what drain() hands the main thread
@dataclass(frozen=True)
class JobChanged:
    record: JobRecord


@dataclass(frozen=True)
class ServerChanged:
    info: ServerInfo


Event = JobChanged | ServerChanged


class JobManager:
    def __init__(self, url: str, *, poll_interval: float = 0.25, stall_seconds: float | None = None,
                 connect_grace: float = 5.0,
                 client_factory: Callable[[str], Wan2GPClient] | None = None) -> None:
        self.url = url
        self.poll_interval = poll_interval
        self.stall_seconds = stall_seconds  # None: GenerationJob's default
        self.connect_grace = connect_grace
        self._down_since: float | None = None  # when the server was first found unreachable
        self._connect_failures = 0
        self._next_connect_at = 0.0
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
        self.server = ServerInfo(url)
        self.journal_error = ""
        self._dirty_journals: set[Path] = set()
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

    def submit(self, settings: GenerationSettings, slot: Slot, output_dir: Path, *, label: str = "",
               simulation: SimulationOptions | None = None) -> JobRecord:
        record = JobRecord(id=uuid.uuid4().hex[:12], settings=settings, slot=slot, output_dir=output_dir,
                           label=label or settings.prompt[:40], simulation=simulation)
        with self._lock:
            self._records[record.id] = record
            self._pending.append(record.id)
            self._dirty_journals.add(record.output_dir)
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
            if record is not None and record.state.is_terminal:
                del self._records[job_id]
                self._dirty_journals.add(record.output_dir)
        self._wake.set()

    def mark_placed(self, job_id: str) -> None:
        """The main thread put this job's clip on the timeline."""
        self._update(job_id, placed=True, notify=False)
        self._wake.set()

    def load_journal(self, folder: Path) -> list[JobRecord]:
        """Bring back a project's jobs after a restart: unfinished ones come back INTERRUPTED
        (Retry resubmits them), finished ones not yet placed come back to be placed."""
        try:
            stored = journal.read(folder)
        except journal.JournalCorrupt as error:
            self.journal_error = str(error)
            return []
        restored = []
        with self._lock:
            for record in stored:
                if record.id in self._records:
                    continue
                if not record.state.is_terminal:
                    record = record.model_copy(update={
                        "state": JobState.INTERRUPTED, "updated_at": time.time(),
                        "error": "Blender stopped while this job ran; press Retry to queue it again"})
                self._records[record.id] = record
                restored.append(record)
            if restored:
                self._dirty_journals.add(Path(folder))
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
            except Exception as exc:  # the worker must survive anything and say what happened
                self._set_server(ServerInfo(self.url, error=f"internal error: {exc!r}"))
            self._wake.wait(self.poll_interval)
            self._wake.clear()
        self._flush_journals()
        if self._client is not None:
            self._client.close()

    def _step(self) -> None:
        if self._refresh_server:
            self._refresh_server = False
            if self._connect() is not None:
                self._down_since, self._connect_failures, self._next_connect_at = None, 0, 0.0
        self._handle_cancels()
        self._submit_pending()
        self._poll_live()
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
            client.close()
            self._client = None
            self._set_server(ServerInfo(self.url, error=str(error)))
            return None
        self._client = client
        self._set_server(ServerInfo(self.url, status=status, models=models))
        return client

    def _set_server(self, info: ServerInfo) -> None:
        self.server = info
        self._events.put(ServerChanged(info))

    def _update(self, job_id: str, notify: bool = True, **changes: Any) -> JobRecord | None:
        with self._lock:
            record = self._records.get(job_id)
            if record is None:
                return None
            if "state" in changes and changes["state"] is not record.state or "placed" in changes:
                self._dirty_journals.add(record.output_dir)  # progress ticks alone are not journalled
            record = record.model_copy(update={**changes, "updated_at": time.time()})
            self._records[job_id] = record
        if notify:
            self._events.put(JobChanged(record))
        return record

    def _flush_journals(self) -> None:
        with self._lock:
            folders, self._dirty_journals = self._dirty_journals, set()
            by_folder = {f: [r for r in self._records.values() if r.output_dir == f] for f in folders}
        for folder, records in by_folder.items():
            try:
                journal.write(folder, records)
                self.journal_error = ""
            except OSError as exc:
                self.journal_error = f"could not write the job journal in {folder}: {exc.strerror or exc}"
                with self._lock:
                    self._dirty_journals.add(folder)  # try again next round

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
                job_id = self._pending[0]
                record = self._records.get(job_id)
            if record is None:
                self._pop_pending(job_id)
                continue
            client = self._reachable_client()
            if client is None:
                if time.monotonic() - (self._down_since or 0) < self.connect_grace:
                    return  # keep waiting: try again on a later round
                for waiting in self._take_all_pending():
                    self._fail(waiting, self.server.error or f"No Director server at {self.url}")
                return
            self._pop_pending(job_id)
            try:
                job = client.submit(record.settings, output_dir=record.output_dir, simulation=record.simulation)
            except DirectorError as error:
                self._fail(job_id, str(error))
                continue
            if self.stall_seconds is not None:
                job.stall_seconds = self.stall_seconds
            self._live[job_id] = job
            self._update(job_id, state=JobState.SUBMITTING, server_job_id=job.id)
            self._wait_acknowledged(job)  # keeps the server's queue in the order jobs were asked for

    def _reachable_client(self) -> Wan2GPClient | None:
        if self._client is not None and self._client.connected and self._down_since is None:
            return self._client
        now = time.monotonic()
        if now < self._next_connect_at:
            return None
        client = self._connect()
        if client is not None:
            self._down_since, self._connect_failures = None, 0
            return client
        self._down_since = self._down_since or now
        self._connect_failures += 1
        self._next_connect_at = now + min(2.0, 0.25 * 2 ** (self._connect_failures - 1))
        return None

    def _pop_pending(self, job_id: str) -> None:
        with self._lock:
            if job_id in self._pending:
                self._pending.remove(job_id)

    def _take_all_pending(self) -> list[str]:
        with self._lock:
            taken, self._pending = self._pending, []
        self._down_since, self._connect_failures, self._next_connect_at = None, 0, 0.0
        return taken

    def _wait_acknowledged(self, job: GenerationJob, timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while job.status().state is JobState.SUBMITTING and not job.done() and time.monotonic() < deadline:
            time.sleep(0.01)

    def _poll_live(self) -> None:
        for job_id, job in list(self._live.items()):
            if not job.done() and job.check_alive():
                status = job.status()
                self._update(job_id, state=status.state, status=status)
                continue
            try:
                result = job.result(timeout=5)
            except JobTimeoutError:
                continue
            except JobCancelledError as error:
                self._live.pop(job_id)
                self._update(job_id, state=JobState.CANCELLED, status=job.status(), error=error.message)
                continue
            except DirectorError as error:
                self._live.pop(job_id)
                self._fail(job_id, str(error), getattr(error, "stage", ""))
                if getattr(error, "stage", "") == "transport":
                    self._down_since = self._down_since or time.monotonic()  # reconnect before sending more
                continue
            self._live.pop(job_id)
            self._update(job_id, state=JobState.SUCCEEDED, status=job.status(), result=result)

    def _fail(self, job_id: str, message: str, detail: str = "") -> None:
        self._update(job_id, state=JobState.FAILED, error=message, error_detail=detail)
