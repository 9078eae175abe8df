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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .wan2gp.client import Wan2GPClient
from .wan2gp.enums import JobState
from .wan2gp.errors import DirectorError, JobCancelledError, JobTimeoutError
from .wan2gp.job import GenerationJob
from .wan2gp.schemas import GenerationSettings, JobResult, JobStatus, ModelInfo, ServerStatus, SimulationOptions


@dataclass(frozen=True)
class Slot:
    """Where a clip goes, captured when the job is queued."""

    scene: str
    channel: int
    frame_start: int
    frames: int


@dataclass(frozen=True)
class JobRecord:
    """What the UI knows about one job (a snapshot; replaced, never mutated)."""

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
    created_at: float = field(default_factory=time.time)
    simulation: SimulationOptions | None = None

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
    def __init__(self, url: str, *, poll_interval: float = 0.25,
                 client_factory: Callable[[str], Wan2GPClient] | None = None) -> None:
        self.url = url
        self.poll_interval = poll_interval
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
        if self._client is not None:
            self._client.close()

    def _step(self) -> None:
        if self._refresh_server:
            self._refresh_server = False
            self._connect()
        self._handle_cancels()
        self._submit_pending()
        self._poll_live()

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

    def _update(self, job_id: str, **changes: Any) -> JobRecord | None:
        with self._lock:
            record = self._records.get(job_id)
            if record is None:
                return None
            record = replace(record, **changes)
            self._records[job_id] = record
        self._events.put(JobChanged(record))
        return record

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
        while True:
            with self._lock:
                if not self._pending:
                    return
                job_id = self._pending.pop(0)
                record = self._records.get(job_id)
            if record is None:
                continue
            client = self._client if self._client is not None and self._client.connected else self._connect()
            if client is None:
                self._fail(job_id, self.server.error or f"No Director server at {self.url}")
                continue
            try:
                job = client.submit(record.settings, output_dir=record.output_dir, simulation=record.simulation)
            except DirectorError as error:
                self._fail(job_id, str(error))
                continue
            self._live[job_id] = job
            self._update(job_id, state=JobState.SUBMITTING, server_job_id=job.id)
            self._wait_acknowledged(job)  # keeps the server's queue in the order jobs were asked for

    def _wait_acknowledged(self, job: GenerationJob, timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while job.status().state is JobState.SUBMITTING and not job.done() and time.monotonic() < deadline:
            time.sleep(0.01)

    def _poll_live(self) -> None:
        for job_id, job in list(self._live.items()):
            if not job.done():
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
                continue
            self._live.pop(job_id)
            self._update(job_id, state=JobState.SUCCEEDED, status=job.status(), result=result)

    def _fail(self, job_id: str, message: str, detail: str = "") -> None:
        self._update(job_id, state=JobState.FAILED, error=message, error_detail=detail)
