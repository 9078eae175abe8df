"""Jobs to ask their server about: journalled unfinished when Blender stopped, or whose connection
broke. Once the server (the one the job was sent to) answers, each is fetched if it finished, followed
if it still runs, sent again if the server lost it while it only waited, and otherwise ends INTERRUPTED
with Retry (the same seed) offered; a Retry whose earlier attempt finished after all takes that clip.

The job manager's piece (jobs/manager.py JobManager owns the records, the queue and the worker).
No bpy here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..client.job import GenerationJob
from ..client.wan2gp_client import Wan2GPClient, new_job_id
from ..common.enums import JobState
from ..common.errors import (
    DirectorError,
    DownloadCutError,
    GenerationFailedError,
    JobGoneError,
    ServerUnavailableError,
    TransportError,
)
from ..common.job_lookup import ServerJobState
from .job_host import Job, JobHost
from .recorded_servers import same_server
from .records import JobRecord

FOLLOW_POLL_SECONDS = 0.5  # how often a job followed through /job_result is asked about


@dataclass(frozen=True)
class Check:
    """A job to ask the server about (its connection was lost, or Blender restarted)."""

    since: float
    resend: bool  # unknown to the server: send it again (it only waited) rather than offer Retry
    reason: str


class Reattach:
    def __init__(self, host: JobHost) -> None:
        self._host = host
        self.to_check: dict[str, Check] = {}  # ask the server about these when it answers (under host._lock)
        self.following: dict[str, Check] = {}  # ... and why, for the ones now followed

    def recovered(self, record: JobRecord) -> JobRecord:
        """A job journalled unfinished (Blender stopped): cancel it if the user had, else ask. Lock held."""
        host = self._host
        if record.cancel_requested:
            host._server_cancels.add(record.server_url or host.url, record.server_job_id)
            return record.model_copy(update={"state": JobState.CANCELLED, "error": "Cancelled",
                                             "updated_at": time.time()})
        if not record.server_job_id:  # journalled by an older version: nothing to ask about
            return record.model_copy(update={
                "state": JobState.INTERRUPTED, "updated_at": time.time(),
                "error": "Blender stopped while this job ran", "error_hint": "press Retry to queue it again"})
        self.to_check[record.id] = Check(time.monotonic(), resend=False, reason="Blender stopped while it ran")
        return record.model_copy(update={"waiting": "Blender stopped while this job ran: asking the server about it"})

    def fetch_instead(self, record: JobRecord, client: Wan2GPClient) -> bool:
        """A Retry whose earlier attempt the server finished (or still runs) after all: take that."""
        host = self._host
        try:
            lookup, _ = client.job_result(record.retry_of)
        except DirectorError:
            return False
        if lookup.state not in (ServerJobState.SUCCEEDED, ServerJobState.RUNNING, ServerJobState.WAITING):
            return False
        host._live[record.id] = client.attach(record.retry_of, record.settings, output_dir=record.output_dir)
        host._update(record.id, server_job_id=record.retry_of, waiting="the earlier attempt finished after all: "
                     "fetching it" if lookup.state is ServerJobState.SUCCEEDED else "following the earlier attempt")
        return True

    def check_lost(self) -> None:
        host = self._host
        with host._lock:
            checks = list(self.to_check.items())
        for job_id, check in checks:
            record = host.get(job_id)
            if record is None:
                with host._lock:
                    self.to_check.pop(job_id, None)
                continue
            url = record.server_url or host.url
            client = host._reachable_client() if same_server(url, host.url) else host._recorded.client_for(url)
            if client is None:
                waited = time.monotonic() - check.since
                if waited >= host.connect_grace:
                    with host._lock:
                        self.to_check.pop(job_id, None)
                    host._update(job_id, state=JobState.INTERRUPTED, waiting="",
                                 error=f"{check.reason}, and the server at {url} did not answer for "
                                       f"{host.connect_grace:.0f} s to say what became of it",
                                 error_hint="start the server, then press Retry: a clip it finished is fetched, "
                                            "not rendered again")
                else:
                    host._update(job_id, waiting=f"{check.reason}: waiting for the server at {url} to ask about "
                                           f"it ({waited:.0f} s of {host.connect_grace:.0f} s)")
                continue
            with host._lock:
                self.to_check.pop(job_id, None)
            attached = client.attach(record.server_job_id, record.settings, output_dir=record.output_dir,
                                     submitted_at=record.created_at)
            attached.poll_seconds = max(host.poll_interval, FOLLOW_POLL_SECONDS)
            host._live[job_id] = attached
            self.following[job_id] = check
            host._update(job_id, waiting=f"{check.reason}: following it on the server")

    def connection_lost(self, job_id: str, job: Job, error: DirectorError) -> None:
        """A job's connection broke. Not running yet (perhaps not even sent: a refused connect may be
        the stream's, after the job arrived): asked about once the server answers, fetched or followed
        if it has it, sent again (a new attempt) if it lost it. Running: followed if the server is
        still there, else failed at once (and cancelled on the server if it comes back)."""
        host = self._host
        record = host.get(job_id)
        if record is None:
            return
        host._reconnect.mark_down()
        if host._client is not None:
            host._lost(host._client, error if isinstance(error, TransportError)
                       else ServerUnavailableError(host.url, "the connection broke"))
        if record.state in (JobState.SUBMITTING, JobState.QUEUED):
            self.mark_lost(job_id, resend=True, reason="the connection broke while it waited in the queue")
            host._update(job_id, state=JobState.QUEUED)
            return
        if record.state is JobState.DOWNLOADING or isinstance(error, DownloadCutError):
            # it finished: the server keeps the clip on its result shelf, fetched once it answers again
            self.mark_lost(job_id, resend=False, reason="the connection broke while its clip downloaded")
            return
        if isinstance(job, GenerationJob) and _alive(job):
            self.mark_lost(job_id, resend=False, reason="the connection broke while it ran")
            return
        host._server_cancels.add(record.server_url or host.url, record.server_job_id)  # if it comes back
        if isinstance(error, ServerUnavailableError):  # refused mid-job: the server went away under it
            error = GenerationFailedError(f"the connection to the server was lost mid-job ({error.reason})",
                                          stage="transport", job_id=job_id,
                                          hint="the server stopped or crashed: check its log, restart it, then Retry")
        host._fail_with(job_id, error)

    def mark_lost(self, job_id: str, *, resend: bool, reason: str) -> None:
        host = self._host
        with host._lock:
            self.to_check[job_id] = Check(time.monotonic(), resend=resend, reason=reason)
        host._update(job_id, waiting=f"{reason}: it is asked about when the server answers"
                     + (" (and sent again if it was lost)" if resend else ""))

    def resend(self, job_id: str, error: JobGoneError) -> None:
        """The server lost a job that only waited: a fresh attempt (new server job id, the same seed)."""
        host = self._host
        record = host.get(job_id)
        if record is None:
            return
        host._server_cancels.add(record.server_url or host.url, record.server_job_id)  # never runs twice
        host._requeue(job_id)
        host._update(job_id, state=JobState.SUBMITTING, status=None, server_job_id=new_job_id(),
                     waiting="the server lost it while it waited: sending it again")

    def gone(self, job_id: str, job: Job, error: JobGoneError) -> None:
        """A followed job the server does not know: sent again if it only waited, else it ended."""
        host = self._host
        check = self.following.pop(job_id, None)
        if check is not None and check.resend:
            self.resend(job_id, error)
        else:
            reason = check.reason if check is not None else "it was followed on the server"
            host._update(job_id, state=JobState.INTERRUPTED, status=job.status(), waiting="",
                         error=f"{reason[:1].upper()}{reason[1:]}, and {error.message}", error_hint=error.hint)


def _alive(job: GenerationJob) -> bool:
    """The server of a job whose connection broke still answers (a dropped connection, not a death)."""
    try:
        return job._client.is_alive(timeout=1.0)
    except Exception:
        return False
