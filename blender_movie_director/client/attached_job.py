"""AttachedJob: a job followed by asking the server about it (/job_result), not through the stream
that submitted it: after Blender crashed and reopened, after a connection dropped while the job
waited or ran, or before a Retry. A finished clip is fetched (never rendered again); a running one is
followed to its end; one the server does not know ends as JobGoneError (offer Retry).

Same shape as GenerationJob where the job manager uses it: done(), status(), check_alive(),
result(timeout), cancel(). Its network calls run on the caller's thread (the manager's worker).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

from ..common.enums import JobState, Phase
from ..common.errors import (
    DirectorError,
    GenerationFailedError,
    JobCancelledError,
    JobGoneError,
    JobTimeoutError,
    TransportError,
)
from ..common.job_lookup import JobLookup, ServerJobState
from ..common.messages import CancelReply, JobResult, JobStatus
from ..common.progress import overall_progress
from ..common.settings import GenerationSettings
from .clip_store import store_clip

POLL_SECONDS = 1.0  # how often a followed job is asked about
UNREACHABLE_SECONDS = 15.0  # the server unreachable this long while following: the job fails


class LookupServer(Protocol):
    url: str

    def job_result(self, job_id: str) -> tuple[JobLookup, Path | None]: ...

    def cancel_job(self, job_id: str) -> CancelReply: ...


class AttachedJob:
    def __init__(self, client: LookupServer, job_id: str, settings: GenerationSettings, output_dir: Path, *,
                 submitted_at: float | None = None, poll_seconds: float = POLL_SECONDS) -> None:
        self.id = job_id
        self.settings = settings
        self.output_dir = output_dir
        self.submitted_at = submitted_at or time.time()
        self.poll_seconds = poll_seconds
        self.stall_seconds = UNREACHABLE_SECONDS
        self._client = client
        self._final: JobResult | DirectorError | None = None
        self._last = JobStatus(job_id=job_id, state=JobState.SUBMITTING, message="asking the server about it")
        self._asked_at = 0.0
        self._unreachable_since: float | None = None
        self.server_state: ServerJobState | None = None  # what the server said last

    def __repr__(self) -> str:
        return f"<AttachedJob {self.id} {self._last.state.value}>"

    def done(self) -> bool:
        self.refresh()
        return self._final is not None

    def status(self) -> JobStatus:
        return self._last

    def check_alive(self) -> bool:
        return not isinstance(self._final, TransportError)

    def result(self, timeout: float | None = None) -> JobResult:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done():
            if deadline is not None and time.monotonic() >= deadline:
                raise JobTimeoutError(self.id, timeout or 0)
            time.sleep(min(self.poll_seconds, 0.1))
        final = self._final
        if isinstance(final, DirectorError):
            raise final
        assert final is not None
        return final

    def cancel(self, wait: float = 0.0) -> None:
        try:
            self._client.cancel_job(self.id)
        except DirectorError:
            pass  # unreachable: the caller keeps it as a cancel to send later
        if self._final is None:
            self._final = JobCancelledError(self.id)
            self._last = JobStatus(job_id=self.id, state=JobState.CANCELLED, message="The job was cancelled")

    # ------------------------------------------------------------ asking the server

    def refresh(self, force: bool = False) -> None:
        """Ask the server once (at most every poll_seconds unless forced)."""
        now = time.monotonic()
        if self._final is not None or (not force and now - self._asked_at < self.poll_seconds):
            return
        self._asked_at = now
        try:
            lookup, downloaded = self._client.job_result(self.id)
        except TransportError as error:
            self._unreachable_since = self._unreachable_since or now
            if now - self._unreachable_since >= self.stall_seconds:
                self._final = error
                self._last = JobStatus(job_id=self.id, state=JobState.FAILED, message=error.message)
            return
        self._unreachable_since = None
        self.server_state = lookup.state
        try:
            self._take(lookup, downloaded)
        except DirectorError as error:  # the clip could not be kept or read: the job ends with it
            self._final = error
            self._last = JobStatus(job_id=self.id, state=JobState.FAILED, message=error.message)

    def _take(self, lookup: JobLookup, downloaded: Path | None) -> None:
        state = lookup.state
        if state is ServerJobState.WAITING:
            self._last = JobStatus(job_id=self.id, state=JobState.QUEUED, phase=Phase.QUEUED)
        elif state is ServerJobState.RUNNING:
            total = lookup.total_steps or None
            self._last = JobStatus(job_id=self.id, state=JobState.RUNNING, phase=Phase.INFERENCE, step=lookup.step,
                                   total_steps=total,
                                   progress=overall_progress(Phase.INFERENCE, lookup.step, lookup.total_steps)
                                   if total else 0.0)
        elif state is ServerJobState.SUCCEEDED:
            if lookup.reply is None or downloaded is None:
                raise GenerationFailedError("the server said it finished but sent no clip", stage="transport",
                                            job_id=self.id)
            self._final = store_clip(downloaded, lookup.reply, self.output_dir, self.submitted_at)
            self._last = JobStatus(job_id=self.id, state=JobState.SUCCEEDED, progress=1.0, phase=Phase.DONE)
        elif state is ServerJobState.FAILED:
            self._final = GenerationFailedError(lookup.message or "the server reports it failed", stage="server",
                                                job_id=self.id)
            self._last = JobStatus(job_id=self.id, state=JobState.FAILED, message=lookup.message)
        elif state is ServerJobState.CANCELLED:
            self._final = JobCancelledError(self.id)
            self._last = JobStatus(job_id=self.id, state=JobState.CANCELLED, message="The job was cancelled")
        else:  # UNKNOWN, EXPIRED
            self._final = JobGoneError(self.id, lookup.message, expired=state is ServerJobState.EXPIRED)
            self._last = JobStatus(job_id=self.id, state=JobState.INTERRUPTED, message=lookup.message)
