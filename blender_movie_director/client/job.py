"""GenerationJob: the handle `Wan2GPClient.submit()` returns.

Non-blocking `status()`, blocking `result(timeout)`, `cancel()` that stops the server's work.
All methods are safe to call from any thread; nothing here touches bpy.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from ..common import hints, protocol
from ..common.enums import JobState, Phase
from ..common.errors import (
    DirectorError,
    DownloadCutError,
    GenerationFailedError,
    JobCancelledError,
    JobTimeoutError,
    ServerReplyError,
    ServerUnavailableError,
    TransportError,
)
from ..common.job_lookup import JobLookup
from ..common.messages import CancelReply, GenerateReply, JobResult, JobStatus
from ..common.settings import GenerationSettings
from .clip_download import DownloadBroke
from .clip_store import store_clip
from .gradio_refusals import typed_error_of
from .job_status import JobStatusTracker


class JobServer(Protocol):
    """What a job handle needs from the client that made it (Wan2GPClient is one)."""

    url: str

    def is_alive(self, timeout: float | None = None) -> bool: ...

    def cancel_job(self, job_id: str) -> CancelReply: ...

    def fetch_file(self, file_out: Any) -> Path: ...

    def job_result(self, job_id: str) -> tuple[JobLookup, Path | None]: ...

CANCEL_GRACE_SECONDS = 10.0
WAIT_SLICE_SECONDS = 0.1
STALL_SECONDS = 15.0  # no word from the server this long: ask whether it is still alive
REFETCH_SECONDS = 300.0  # a cut download is fetched again from the server's result shelf this long (a restart)


class GenerationJob:
    """One job sent to the server: waits for it (and for a server that went silent), cancels it on the
    server, keeps its clip. Reading its progress is JobStatusTracker's job."""

    def __init__(self, client: JobServer, job_id: str, settings: GenerationSettings, gradio_job: Any,
                 output_dir: Path) -> None:
        self.id = job_id
        self.settings = settings
        self.output_dir = output_dir
        self.submitted_at = time.time()
        self._client = client
        self._gradio_job = gradio_job
        self._collect_lock = threading.Lock()
        self._cancel_requested = False
        self._cancel_settled = False  # the server has been told, and let go of a running job
        self._final: JobResult | DirectorError | None = None
        self._progress = JobStatusTracker(job_id)  # gradio's updates read as JobStatus
        self.stall_seconds = STALL_SECONDS
        # A clip whose download broke is asked for again (the server keeps it): a script's result() then
        # still returns it. The job manager sets 0 and fetches it itself, with the job shown waiting.
        self.refetch_seconds = REFETCH_SECONDS
        self._heard: tuple[Any, float] = (None, time.monotonic())  # last server update, when it changed
        self._probed_at = 0.0
        # The clip is fetched on gradio's own thread the moment the server's side ends (as gradio's own
        # download was): no caller's thread waits on it, and a waiting worker wakes once it is here.
        self._arrived = threading.Event()
        self._arrival: JobResult | DirectorError | None = None  # None: the server's side failed
        self._on_arrival: list[Callable[[], None]] = []
        self._arrival_lock = threading.Lock()
        add = getattr(gradio_job, "add_done_callback", None)
        self._fetches_on_arrival = add is not None
        if add is not None:
            add(self._server_done)

    def __repr__(self) -> str:
        return f"<GenerationJob {self.id} {self.settings.model_type} {self._progress.last.state.value}>"

    # ------------------------------------------------------------ status

    def done(self) -> bool:
        """True once the job ended, the server included: a server that hangs (silent and failing its
        health probe) ends the job too, so a `while not job.done()` loop always ends."""
        if self._final is None and not self._gradio_job.done():
            self.check_alive()
        return self._final is not None or (self._arrived.is_set() if self._fetches_on_arrival
                                           else self._gradio_job.done())

    def status(self) -> JobStatus:
        """The latest known state, without waiting on the network."""
        final = self._final  # a plain read: status() must never wait behind result()
        if isinstance(final, JobResult):
            return self._progress.update(JobState.SUCCEEDED, progress=1.0, phase=Phase.DONE)
        if isinstance(final, JobCancelledError):
            return self._progress.update(JobState.CANCELLED, message=final.message)
        if isinstance(final, DirectorError):
            return self._progress.update(JobState.FAILED, message=str(final))
        if self._cancel_settled and not self._gradio_job.done():
            return self._progress.update(JobState.CANCELLED, message="The job was cancelled")
        if self._gradio_job.done():
            if self._cancel_requested:
                return self._progress.update(JobState.CANCELLED, message="The job was cancelled")
            failure = _error_of(self._gradio_job)
            if failure is not None:  # ended with an error: never "downloading"
                error = self._failure(failure)
                return self._progress.update(JobState.CANCELLED if isinstance(error, JobCancelledError) else JobState.FAILED,
                                    message=str(error))
            return self._progress.downloading()
        return self._progress.from_gradio(self._gradio_job.status())

    def when_done(self, callback: Callable[[], None]) -> None:
        """Call `callback` (on a client thread, or at once) when the job has ended and its clip, if any,
        has arrived: a waiting worker wakes then instead of at its next poll."""
        if not self._fetches_on_arrival:
            return
        with self._arrival_lock:
            if not self._arrived.is_set():
                self._on_arrival.append(callback)
                return
        callback()

    def _server_done(self, future: Any) -> None:
        """gradio's thread, when the server's side ended: fetch a finished job's clip, then wake waiters."""
        try:
            if not future.cancelled() and future.exception() is None:
                self._arrival = self._kept(future.result())
        except Exception as exc:  # whatever happens here must still end the job, with a message
            self._arrival = GenerationFailedError(f"the clip could not be kept: {type(exc).__name__}: {exc}",
                                                  stage="download", job_id=self.id)
        finally:
            with self._arrival_lock:
                self._arrived.set()
                callbacks, self._on_arrival = self._on_arrival, []
            for callback in callbacks:
                callback()

    # ------------------------------------------------------------ watchdog

    def check_alive(self) -> bool:
        """False (and the job failed) once the server has gone silent and no longer answers.

        A paused or hung server keeps the connection open and says nothing, so gradio would wait
        forever. Silence alone is fine (a model can load for minutes); silence plus a failed
        health probe is not.
        """
        if self._final is not None or self._gradio_job.done():
            return True
        update = self._gradio_job.status()
        fingerprint = (getattr(update, "code", None), getattr(update, "rank", None),
                       tuple((u.index, u.progress, u.desc) for u in (getattr(update, "progress_data", None) or ())))
        now = time.monotonic()
        if fingerprint != self._heard[0]:
            self._heard = (fingerprint, now)
            return True
        if now - self._heard[1] < self.stall_seconds or now - self._probed_at < self.stall_seconds / 3:
            return True
        self._probed_at = now
        if self._client.is_alive():
            return True
        silence = f"the server stopped answering after {now - self._heard[1]:.0f} s of silence (hung or paused)"
        self._final = DownloadCutError(self.id, silence) if self._finished_on_server() else GenerationFailedError(
            silence, stage="transport", job_id=self.id, hint=hints.hint("restart_server") + ", then Retry")
        return False

    # ------------------------------------------------------------ result

    def result(self, timeout: float | None = None) -> JobResult:
        """Wait for the clip and return it on local disk; raises a typed DirectorError otherwise."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._collect_lock:
            if self._final is None:
                self._final = self._collect(timeout)
            if isinstance(self._final, DownloadCutError) and self.refetch_seconds > 0:
                self._final = self._refetch(self._final, deadline)
            final = self._final
        if isinstance(final, DirectorError):
            raise final
        return final

    def _collect(self, timeout: float | None) -> JobResult | DirectorError:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:  # short waits, so that a cancel or a dead server releases this one
            if self._cancel_settled and not self._gradio_job.done():
                return JobCancelledError(self.id)
            if not self.check_alive() and self._final is not None:
                return self._final
            try:
                outputs = self._gradio_job.result(timeout=WAIT_SLICE_SECONDS)
                break
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise JobTimeoutError(self.id, timeout or 0) from None  # not final: the job runs on
            except Exception as exc:
                return self._failure(exc)
        if not self._fetches_on_arrival:
            return self._kept(outputs)
        while not self._arrived.wait(WAIT_SLICE_SECONDS):  # the clip is on its way (gradio's thread)
            if deadline is not None and time.monotonic() >= deadline:
                raise JobTimeoutError(self.id, timeout or 0) from None
        return self._arrival if self._arrival is not None else GenerationFailedError(
            "the server's reply ended without a clip", stage="transport", job_id=self.id)

    def _kept(self, outputs: Any) -> JobResult | DirectorError:
        try:
            return self._store(outputs)
        except DirectorError as error:
            return error

    def _refetch(self, cut: DownloadCutError, deadline: float | None) -> JobResult | DirectorError:
        """Fetch the finished clip again from the server's result shelf (waiting out a restart), until
        `deadline` or refetch_seconds: the job's own clip, never a second render."""
        from .attached_job import AttachedJob

        window = self.refetch_seconds if deadline is None else min(self.refetch_seconds, deadline - time.monotonic())
        attached = AttachedJob(self._client, self.id, self.settings, self.output_dir, submitted_at=self.submitted_at)
        attached.stall_seconds = window  # the server unreachable this long (restarting): give up
        try:
            return attached.result(timeout=max(window, 0.0))
        except JobTimeoutError:
            return cut
        except DirectorError as error:
            return error if not isinstance(error, TransportError) else cut

    def _sent_files(self) -> dict[str, str]:
        """slot → the path this job sent in it (to name the field of a refused upload)."""
        files = {media.value: str(path) for media, path in self.settings.media().items()}
        files.update({f"{protocol.MORE_REFERENCES_SLOT}[{i}]": str(path)
                      for i, path in enumerate(self.settings.image_refs_more)})
        return files

    def _failure(self, exc: Exception) -> DirectorError:
        import httpx
        from gradio_client.exceptions import AppError

        if isinstance(exc, (AppError, ValueError, httpx.HTTPStatusError)):
            # the server's typed error, or gradio's own refusal (inputs, an upload not made, the size cap)
            typed = typed_error_of(exc, self._sent_files(), endpoint=protocol.GENERATE, job_id=self.id)
            if typed is not None:
                return typed
        if isinstance(exc, AppError):
            return GenerationFailedError(str(exc), stage="server", job_id=self.id)
        if self._finished_on_server() and not self._cancel_requested:
            # only the download broke: the clip waits on the server's result shelf for a fetch
            return DownloadCutError(self.id, f"{type(exc).__name__}: {exc}"[:200])
        if _refused(exc):  # the server is gone (perhaps before the job arrived: ask it before sending again)
            return ServerUnavailableError(self._client.url, f"the connection was refused ({type(exc).__name__})")
        if isinstance(exc, (concurrent.futures.CancelledError, KeyError)):
            # how gradio reports a stream that ended without a result: the server died mid-job
            if self._cancel_requested:
                return JobCancelledError(self.id)
            return GenerationFailedError(
                f"the connection to the server was lost mid-job ({type(exc).__name__})", stage="transport",
                job_id=self.id, hint="the server stopped or crashed: check its log, restart it, then Retry")
        return GenerationFailedError(f"{type(exc).__name__}: {exc}", stage="transport", job_id=self.id,
                                     hint="check that the server is running, then Retry")

    def _finished_on_server(self) -> bool:
        """The server reported the job complete and successful (gradio downloads the clip after that)."""
        communicator = getattr(self._gradio_job, "communicator", None)
        if communicator is None:
            return False
        with communicator.lock:
            latest = communicator.job.latest_status
        return getattr(latest.code, "name", "") == "FINISHED" and bool(latest.success)

    def _store(self, outputs: Any) -> JobResult:
        try:
            file_out, reply_json = outputs
            reply = GenerateReply.model_validate_json(reply_json)
        except (TypeError, ValueError, ValidationError) as exc:
            raise ServerReplyError(f"/generate returned {type(outputs).__name__}: {str(exc)[:300]}") from None
        try:
            downloaded = self._client.fetch_file(file_out)
        except ValueError as exc:
            raise ServerReplyError(f"/generate: {exc}") from None
        except DownloadBroke as exc:  # the clip waits on the server's result shelf: fetch it again from there
            raise DownloadCutError(self.id, str(exc)) from None
        return store_clip(downloaded, reply, self.output_dir, self.submitted_at)

    # ------------------------------------------------------------ cancel

    def cancel(self, wait: float = CANCEL_GRACE_SECONDS) -> None:
        """Stop the job on the server too, not only this client's wait for it.

        Goes through the server's /cancel, which stops the engine (a running job) or makes sure the
        job never starts (a queued one). gradio's own Job.cancel() is never used: on gradio 5 it
        cancels every job of this endpoint in the session, and it leaves the server function running.
        Returns once the server has let go of a running job (at most `wait` seconds).
        """
        self._cancel_requested = True
        if self.done():
            self._cancel_settled = True
            return
        try:
            was_running = self._client.cancel_job(self.id).was_running
        except DirectorError:
            was_running = False  # server unreachable: at least stop waiting for it
        if was_running:
            deadline = time.monotonic() + wait
            while not self._gradio_job.done() and time.monotonic() < deadline:
                time.sleep(0.02)
        self._cancel_settled = True


def _error_of(gradio_job: Any) -> Exception | None:
    """The exception a finished gradio job ended with, without waiting (None: it succeeded)."""
    try:
        error = gradio_job.future.exception(timeout=0)
    except Exception:  # not finished after all, or not a gradio job
        return None
    return error if isinstance(error, Exception) else None


def _refused(exc: Exception) -> bool:
    """A refused or timed-out connect: nobody is there (now)."""
    import httpx

    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionRefusedError))
