"""The Director server's book of jobs: which one holds the GPU, which were cancelled, history.

gradio's own cancel frees the queue slot while the server function keeps running, so the GPU is
guarded by our lock and cancels go through this registry to the engine job itself.

Every job has an owner (server/ownership.py): only its owner sees it in /jobs and may cancel it. All
state is bounded: HISTORY records, and cancels of jobs not seen yet (a cancel may arrive while its job
still waits in gradio's queue), kept per client: each client's oldest forgotten beyond
MAX_EARLY_CANCELS_PER_CLIENT, and beyond MAX_EARLY_CANCELS in all the biggest holder's oldest, so
one client's junk cancels never push out another's real one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from ..common.enums import JobState
from ..common.errors import InvalidRequestError
from ..common.messages import CancelReply, ServerJobRecord
from .engines import EngineJob

HISTORY = 200
MAX_EARLY_CANCELS = 1000  # all clients together
MAX_EARLY_CANCELS_PER_CLIENT = 100
NOT_YOURS_HINT = "a client sees and cancels only the jobs it submitted itself"


class JobRegistry:
    def __init__(self) -> None:
        self.gpu_lock = threading.Lock()
        self._lock = threading.Lock()
        self._records: OrderedDict[str, ServerJobRecord] = OrderedDict()
        self._running: dict[str, EngineJob] = {}
        self._cancelled_early: dict[str, OrderedDict[str, None]] = {}  # client → job ids it cancelled early
        self._owners: OrderedDict[str, str] = OrderedDict()  # job id → the client that sent it

    # -- lifecycle, called by /generate

    def claim(self, job_id: str, owner: str) -> None:
        """Make `owner` the job's owner; a job id in use by another client, or by a job of this one
        that has not ended, is refused."""
        with self._lock:
            known = self._owners.get(job_id)
            record = self._records.get(job_id)
            if known is not None and known != owner:
                raise InvalidRequestError("job_id", f"{job_id} is taken by another client's job",
                                          hint="submit with a fresh job id")
            if known is not None and record is not None and not record.state.is_terminal:
                raise InvalidRequestError("job_id", f"{job_id} is already running or waiting on this server",
                                          hint="submit with a fresh job id")
            self._owners[job_id] = owner
            self._owners.move_to_end(job_id)
            for old in list(self._owners)[: max(0, len(self._owners) - HISTORY * 2)]:
                if old not in self._running and old not in self._records:  # never a live job's owner
                    del self._owners[old]

    def owner_of(self, job_id: str) -> str | None:
        with self._lock:
            return self._owners.get(job_id)

    def is_cancelled(self, job_id: str) -> bool:
        """Cancelled before it started, by its own owner."""
        with self._lock:
            owner = self._owners.get(job_id)
            return owner is not None and job_id in self._cancelled_early.get(owner, {})

    def arrive(self, job_id: str, model_type: str) -> None:
        """The job reached /generate and waits for the GPU (so /job_result knows it is coming)."""
        with self._lock:
            if job_id not in self._records:
                self._put(ServerJobRecord(job_id=job_id, model_type=model_type, state=JobState.QUEUED))

    def start(self, job_id: str, model_type: str, total_steps: int, job: EngineJob) -> None:
        with self._lock:
            self._running[job_id] = job
            self._put(ServerJobRecord(job_id=job_id, model_type=model_type, state=JobState.RUNNING,
                                      total_steps=total_steps, started_at=time.time()))

    def step(self, job_id: str, step: int) -> None:
        with self._lock:
            record = self._records.get(job_id)
            if record:
                self._records[job_id] = record.model_copy(update={"step": step})

    def finish(self, job_id: str, state: JobState, message: str = "") -> None:
        """Record how a job ended; the first call wins (it is made while the job holds the GPU)."""
        with self._lock:
            self._running.pop(job_id, None)
            owner = self._owners.get(job_id)
            mine = self._cancelled_early.get(owner or "")
            if mine is not None:
                mine.pop(job_id, None)
                if not mine:
                    del self._cancelled_early[owner or ""]
            record = self._records.get(job_id) or ServerJobRecord(job_id=job_id, state=state)
            if record.state.is_terminal and record.finished_at is not None:
                return
            self._put(record.model_copy(update={"state": state, "finished_at": time.time(), "message": message}))

    # -- called by /cancel

    def cancel(self, job_id: str, owner: str) -> CancelReply:
        with self._lock:
            known = self._owners.get(job_id)
            if known is not None and known != owner:
                raise InvalidRequestError("job_id", f"{job_id} is not one of this client's jobs", hint=NOT_YOURS_HINT)
            job = self._running.get(job_id)
            if job is not None:
                job.cancel()
                return CancelReply(job_id=job_id, state=JobState.RUNNING, was_running=True)
            record = self._records.get(job_id)
            if record is not None and record.state.is_terminal:
                return CancelReply(job_id=job_id, state=record.state, was_running=False)
            # not started yet (still in gradio's queue, or waiting for the GPU): it never will, if
            # it turns out to be this client's; remembered for a bounded while
            self._remember_early_cancel(job_id, owner)
            return CancelReply(job_id=job_id, state=JobState.CANCELLED, was_running=False)

    # -- reporting

    @property
    def current_job_id(self) -> str | None:
        with self._lock:
            return next(iter(self._running), None)

    def history(self, owner: str | None = None) -> list[ServerJobRecord]:
        """Every record (the server's own use), or only `owner`'s."""
        with self._lock:
            return [r for r in self._records.values() if owner is None or self._owners.get(r.job_id) == owner]

    def sizes(self) -> dict[str, int]:
        """How much state the registry holds (bounded; for tests and the log)."""
        with self._lock:
            return {"records": len(self._records), "owners": len(self._owners),
                    "early_cancels": sum(map(len, self._cancelled_early.values())),
                    "early_cancel_clients": len(self._cancelled_early), "running": len(self._running)}

    def _remember_early_cancel(self, job_id: str, owner: str) -> None:
        mine = self._cancelled_early.setdefault(owner, OrderedDict())
        mine[job_id] = None
        mine.move_to_end(job_id)
        while len(mine) > MAX_EARLY_CANCELS_PER_CLIENT:
            mine.popitem(last=False)
        while sum(map(len, self._cancelled_early.values())) > MAX_EARLY_CANCELS:
            biggest = max(self._cancelled_early, key=lambda client: len(self._cancelled_early[client]))
            self._cancelled_early[biggest].popitem(last=False)
            if not self._cancelled_early[biggest]:
                del self._cancelled_early[biggest]

    def _put(self, record: ServerJobRecord) -> None:
        self._records[record.job_id] = record
        self._records.move_to_end(record.job_id)
        while len(self._records) > HISTORY:  # the oldest ended job goes first; never a running one
            old = next((k for k, r in self._records.items() if r.state.is_terminal), None)
            if old is None:
                old = next(k for k in self._records if k not in self._running)
            del self._records[old]
