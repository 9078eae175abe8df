"""The Director server's book of jobs: which one holds the GPU, which were cancelled, history.

gradio's own cancel frees the queue slot while the server function keeps running, so the GPU is
guarded by our lock and cancels go through this registry to the engine job itself.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from ..common.enums import JobState
from ..common.messages import CancelReply, ServerJobRecord
from .engines import EngineJob

HISTORY = 200


class JobRegistry:
    def __init__(self) -> None:
        self.gpu_lock = threading.Lock()
        self._lock = threading.Lock()
        self._records: OrderedDict[str, ServerJobRecord] = OrderedDict()
        self._running: dict[str, EngineJob] = {}
        self._cancelled_early: set[str] = set()

    # -- lifecycle, called by /generate

    def is_cancelled(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._cancelled_early

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
            self._cancelled_early.discard(job_id)
            record = self._records.get(job_id) or ServerJobRecord(job_id=job_id, state=state)
            if record.state.is_terminal and record.finished_at is not None:
                return
            self._put(record.model_copy(update={"state": state, "finished_at": time.time(), "message": message}))

    # -- called by /cancel

    def cancel(self, job_id: str) -> CancelReply:
        with self._lock:
            job = self._running.get(job_id)
            if job is not None:
                job.cancel()
                return CancelReply(job_id=job_id, state=JobState.RUNNING, was_running=True)
            record = self._records.get(job_id)
            if record is not None and record.state.is_terminal:
                return CancelReply(job_id=job_id, state=record.state, was_running=False)
            # not started yet (still in gradio's queue, or waiting for the GPU): it never will
            self._cancelled_early.add(job_id)
            return CancelReply(job_id=job_id, state=JobState.CANCELLED, was_running=False)

    # -- reporting

    @property
    def current_job_id(self) -> str | None:
        with self._lock:
            return next(iter(self._running), None)

    def history(self) -> list[ServerJobRecord]:
        with self._lock:
            return list(self._records.values())

    def _put(self, record: ServerJobRecord) -> None:
        self._records[record.job_id] = record
        self._records.move_to_end(record.job_id)
        while len(self._records) > HISTORY:
            self._records.popitem(last=False)
