"""The add-on's job manager: one worker thread does all the network work, the UI only reads.

Blender's main thread calls `submit()`/`cancel()` (which return at once) and `drain()` from its
timer tick; the worker connects, submits in order, polls, collects results and reports back
through a queue. Every object crossing threads is an immutable snapshot. No bpy here.

Nothing is lost, nothing is done twice:
- whatever goes wrong while handling one job (a typed error, an OSError, a bug) ends that job in a
  state the user sees, with a message (and its clip, if one arrived); the worker and the other jobs
  carry on;
- every job is journalled per project (one journal per .blend) with its server, server job id and
  concrete seed: after a crash, `load_journal` asks the server about each unfinished job, fetches
  what it finished, follows what still runs, and offers Retry (same seed) only for what truly died;
- while the server is unreachable, unsent jobs wait (`connect_grace`, 600 s by default: a real
  Wan2GP takes minutes to start); jobs that were only waiting in a server that went away are asked
  about once it is back, and sent again if it lost them; a job that was running when its server died
  fails at once;
- a job the client gives up on (stalled, cancelled, lost) is cancelled on the server so the GPU is
  freed.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..client.attached_job import AttachedJob
from ..client.clip_store import move_clip
from ..client.job import GenerationJob
from ..client.wan2gp_client import Wan2GPClient, new_job_id
from ..common.enums import JobState
from ..common.errors import (
    DirectorError,
    GenerationFailedError,
    JobCancelledError,
    JobGoneError,
    JobTimeoutError,
    JournalCorrupt,
    ServerReplyError,
    ServerUnavailableError,
    TransportError,
)
from ..common.messages import JobResult, JobStatus
from ..common.protocol import new_client_id
from ..common.settings import MAX_SEED, GenerationSettings, SimulationOptions
from . import journal
from .cancel_requests import CancelRequests
from .defaults import DEFAULT_SERVER_WAIT
from .job_host import Job
from .journal_book import JournalBook
from .reattach import Reattach
from .reconnect import Reconnect
from .recorded_servers import RecordedServers
from .records import Event, JobChanged, JobRecord, ServerChanged, ServerInfo, Slot
from .server_cancels import ServerCancels
from .write_behind import WriteBehind

STATUS_INTERVAL = 3.0  # how often the worker refreshes the server's state for the Server panel
IDLE_PROBE_SECONDS = 2.0  # quiet this long: check the server is still there (and the same) before sending


def with_concrete_seed(settings: GenerationSettings) -> GenerationSettings:
    """The seed chosen now, when the job is queued: Retry and crash recovery make the same shot."""
    if settings.seed != -1:
        return settings
    return settings.model_copy(update={"seed": random.randrange(0, min(MAX_SEED, 2**31 - 1))})


class JobManager:
    """One session's queue of jobs against one server, for any number of projects (journals).
    It keeps the records, the queue, the worker loop (connect, send, poll, journal) and the main
    thread's API; over 200 lines because that loop is sequenced here. Each step's own logic lives
    in the client (GenerationJob, AttachedJob), Reattach (jobs asked about on their server),
    CancelRequests and ServerCancels (cancels, on the server too), Reconnect and JournalBook."""

    def __init__(self, url: str, *, poll_interval: float = 0.25, stall_seconds: float | None = None,
                 connect_grace: float = DEFAULT_SERVER_WAIT,
                 client_factory: Callable[[str], Wan2GPClient] | None = None,
                 writes: WriteBehind | None = None) -> None:
        self.url = url
        self.poll_interval = poll_interval
        self.stall_seconds = stall_seconds  # None: GenerationJob's default
        self.connect_grace = connect_grace
        self._reconnect = Reconnect()
        # one identity for every connection it opens: the server shows a job to the client that sent it only
        self.client_id = new_client_id()
        self._client_factory = client_factory or (lambda u: Wan2GPClient(u, client_id=self.client_id))
        self._client: Wan2GPClient | None = None
        self._lock = threading.Lock()
        self._records: dict[str, JobRecord] = {}
        self._pending: list[str] = []  # queued here, not yet sent
        self._live: dict[str, Job] = {}
        self._server_cancels = ServerCancels(keep_seconds=max(connect_grace, 60.0))
        self._events: deque[Event] = deque()  # append and popleft are atomic: no lock on the main thread
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._refresh_server = True
        self._status_due = 0.0  # monotonic time of the next server status refresh
        self._last_contact = 0.0  # monotonic time the server last answered
        self._server_started: float | None = None  # the server's start time (a restart changes it)
        self._refusal: DirectorError | None = None  # the server answered but refused us (API, login, a bug)
        self.server = ServerInfo(url)
        self._journals = JournalBook()
        # the main thread's disk writes (ui/library.remember, mark_placed); a ServerPool's managers share one
        self.writes = writes or WriteBehind()
        self._recorded = RecordedServers(self._client_factory)  # jobs journalled on another server than self.url
        self._reattach = Reattach(self)  # jobs to ask their server about (lost connection, Blender restarted)
        self._cancelling = CancelRequests(self, self._reattach)  # the user's cancels, and the server's hearing of them
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
        self.writes.close()
        self._flush_journals()

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
               simulation: SimulationOptions | None = None, project: Path | None = None,
               retry_of: str = "") -> JobRecord:
        settings = with_concrete_seed(settings)
        record = JobRecord(id=uuid.uuid4().hex[:12], settings=settings, slot=slot, output_dir=Path(output_dir),
                           label=label or settings.prompt[:40], simulation=simulation,
                           project=Path(project) if project else journal.default_journal(output_dir),
                           server_job_id=new_job_id(), server_url=self.url, retry_of=retry_of)
        with self._lock:
            self._records[record.id] = record
            self._pending.append(record.id)
        self._mark(record)
        self._events.append(JobChanged(record))
        self.start()
        self._wake.set()
        return record

    def retry(self, job_id: str) -> JobRecord | None:
        """Queue an ended job again for the same slot with the same seed. When the attempt it repeats
        finished on the server after all (it stalled, Blender crashed), that clip is fetched instead."""
        old = self.get(job_id)
        if old is None or not old.state.is_terminal:
            return None
        settings = old.settings
        if old.result is not None:
            settings = settings.model_copy(update={"seed": old.result.seed})
        again = "" if old.state is JobState.SUCCEEDED else old.server_job_id
        return self.submit(settings, old.slot, old.output_dir, label=old.label, simulation=old.simulation,
                           project=old.project, retry_of=again)

    def cancel(self, job_id: str) -> None:
        """Cancel a job, on the server too (now, or as soon as it answers)."""
        record = self._update(job_id, notify=False, cancel_requested=True)
        if record is None or record.state.is_terminal:
            return
        self._cancelling.request(job_id)
        self._wake.set()

    def forget(self, job_id: str) -> None:
        with self._lock:
            record = self._records.get(job_id)
            if record is None or not record.state.is_terminal:
                return
            del self._records[job_id]
        self._mark(record)
        self._wake.set()

    def mark_placed(self, job_id: str) -> None:
        """The main thread put this job's clip on the timeline: on disk at once, by the writer thread
        (a crash right after must not place it twice once the .blend is saved)."""
        record = self._update(job_id, placed=True, notify=False)
        if record is not None and record.project is not None:
            project = record.project
            self.writes.submit(lambda: self._journals.flush(self._records_in, only=project))

    def mark_saved(self, project: Path) -> None:
        """The .blend of `project` was saved: every clip placed so far is in it, never placed again."""
        self.writes.wait()  # what was placed and remembered before the save is on disk before this returns
        with self._lock:
            for job_id, record in list(self._records.items()):
                if record.project == Path(project) and record.placed and not record.placement_saved:
                    self._records[job_id] = record.model_copy(update={"placement_saved": True})
        self._journals.flush(self._records_in, only=Path(project))

    def load_journal(self, project: Path) -> list[JobRecord]:
        """Bring back a project's jobs (a .blend was opened): unfinished ones are asked about on the
        server (fetched if it finished them, followed if they still run, Retry if they died); finished
        ones whose placement was not saved come back to be placed (where the .blend has no strip for
        them). Returns the project's jobs."""
        project = Path(project)
        try:
            stored = self._journals.load(project).records
        except JournalCorrupt as error:
            self._journals.set_error(project, str(error))
            stored = []
        mine: list[JobRecord] = []
        with self._lock:
            for record in stored:
                if record.id in self._records:
                    continue  # this session knows it better than the file
                if not record.state.is_terminal:
                    record = self._reattach.recovered(record)
                self._records[record.id] = record
            for job_id, record in list(self._records.items()):
                if record.project != project:
                    continue
                if record.placed and not record.placement_saved:  # the .blend may not have it: look again
                    record = record.model_copy(update={"placed": False})
                    self._records[job_id] = record
                mine.append(record)
        self._journals.mark(project)
        for record in mine:
            self._events.append(JobChanged(record))
        if mine:
            self.start()
        self._wake.set()
        return mine

    def move_project(self, old: Path, new: Path, output_dir: Path | None = None) -> dict[Path, Path]:
        """The project's .blend was saved under a new name or for the first time: its jobs whose effect
        is not yet saved in the old file follow it to the new journal. With `output_dir`, clips not in
        it yet move there (with their sidecars) and unfinished jobs land there. Returns the clips
        moved (old path → new path) so that their strips can follow. Called on the main thread."""
        old, new = Path(old), Path(new)
        moved: dict[Path, Path] = {}
        with self._lock:
            ids = [i for i, r in self._records.items() if r.project == old and not r.placement_saved]
        for job_id in ids:
            record = self.get(job_id)
            if record is None:
                continue
            changes: dict[str, Any] = {"project": new}
            if output_dir is not None and record.output_dir != Path(output_dir):
                changes["output_dir"] = Path(output_dir)
                if record.result is not None and _inside(record.result.video_path, record.output_dir):
                    try:
                        result = move_clip(record.result, Path(output_dir) / record.result.video_path.name)
                    except OSError as exc:
                        result = record.result.model_copy(update={
                            "note": f"could not move it into {output_dir}: {exc.strerror or exc}"})
                    else:
                        moved[record.result.video_path] = result.video_path
                    changes["result"] = result
                live = self._live.get(job_id)
                if live is not None:
                    live.output_dir = Path(output_dir)
            self._update(job_id, notify=True, **changes)
        if self.jobs(project=old):
            self._journals.flush(self._records_in, only=old)
        else:
            self._journals.remove(old)  # e.g. an unsaved session's journal: all of it moved
        self._journals.flush(self._records_in, only=new)
        return moved

    def jobs(self, project: Path | None = None) -> list[JobRecord]:
        with self._lock:
            return [r for r in self._records.values() if project is None or r.project == Path(project)]

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._records.get(job_id)

    def drain(self, limit: int = 200) -> list[Event]:
        """Events since the last call (for the main thread's tick)."""
        events: list[Event] = []
        while len(events) < limit:
            try:
                events.append(self._events.popleft())
            except IndexError:
                break
        return events

    @property
    def busy(self) -> bool:
        with self._lock:
            return any(not r.state.is_terminal for r in self._records.values())

    @property
    def server_cancels(self) -> ServerCancels:
        return self._server_cancels

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
        self._recorded.close()
        if self._client is not None:
            self._client.close()

    def _step(self) -> None:
        if self._refresh_server:
            self._refresh_server = False
            if self._connect() is not None:
                self._reconnect.succeeded()
        self._cancelling.handle()
        self._cancelling.deliver()
        self._reattach.check_lost()
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
            if client.connected and not client.is_alive():  # never 15 s behind a hung server's queue
                raise ServerUnavailableError(self.url, "it stopped answering")
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
        self._refusal = None
        self._heard(status.uptime_seconds)
        self._set_server(ServerInfo(self.url, status=status, models=models))
        self._status_due = time.monotonic() + STATUS_INTERVAL
        return client

    def _heard(self, uptime: float | None = None) -> None:
        self._last_contact = time.monotonic()
        if uptime is not None:
            self._server_started = time.time() - uptime

    def _lost(self, client: Wan2GPClient | None, error: DirectorError) -> None:
        if client is not None:
            client.close()
        self._client = None
        self._refusal = None if isinstance(error, TransportError) else error  # it answered, but no
        self._set_server(ServerInfo(self.url, error=error.message, error_hint=error.hint))

    def _refresh_status(self, force: bool = False) -> None:
        """The Server panel's busy/idle, queue and connected state: every few seconds and after every
        job change, from here (never from the main thread)."""
        client = self._client
        if client is None or not client.connected or (not force and time.monotonic() < self._status_due):
            return
        self._status_due = time.monotonic() + STATUS_INTERVAL
        try:
            if not client.is_alive():  # a fast probe first: a hung server must not hold the worker 15 s
                raise ServerUnavailableError(self.url, "it stopped answering")
            status = client.server_status()
        except DirectorError as error:
            self._reconnect.mark_down()  # nothing is sent before it answers again
            if any(isinstance(job, GenerationJob) for job in self._live.values()):
                # running jobs keep their connection: their own watchdog decides (a slow answer is not a death)
                self._set_server(ServerInfo(self.url, error=error.message, error_hint=error.hint))
            else:
                self._lost(client, error)
            return
        self._heard(status.uptime_seconds)
        self._set_server(ServerInfo(self.url, status=status, models=self.server.models))

    def _set_server(self, info: ServerInfo) -> None:
        self.server = info
        self._events.append(ServerChanged(info))

    def _update(self, job_id: str, notify: bool = True, **changes: Any) -> JobRecord | None:
        with self._lock:
            record = self._records.get(job_id)
            if record is None:
                return None
            state_changed = "state" in changes and changes["state"] is not record.state
            record = record.model_copy(update={**changes, "updated_at": time.time()})
            self._records[job_id] = record
        if state_changed or set(changes) - {"state", "status", "waiting"}:
            self._mark(record)  # progress ticks alone are not journalled
        if state_changed:
            self._status_due = 0.0  # the server's queue changed too
        if notify:
            self._events.append(JobChanged(record))
        return record

    def _mark(self, record: JobRecord) -> None:
        if record.project is not None:
            self._journals.mark(record.project)

    def _records_in(self, project: Path) -> list[JobRecord]:
        with self._lock:
            return [r for r in self._records.values() if r.project == project]

    def _flush_journals(self) -> None:
        self._journals.flush(self._records_in)

    # -- sending

    def _submit_pending(self) -> None:
        """Send queued jobs in order. While the server is unreachable they wait (reconnecting with
        backoff) for `connect_grace` seconds, saying so, then fail with the reason: a restart of the
        server costs no job that was not yet sent."""
        while True:
            with self._lock:
                if not self._pending:
                    return
                job_id = self._pending[0]
                record = self._records.get(job_id)
            if record is None:
                with self._lock:
                    self._pending.remove(job_id)
                continue
            client = self._reachable_client()
            if client is None:
                waited = self._reconnect.down_for()
                if waited < self.connect_grace and self._refusal is None:  # a refusal is not worth waiting out
                    self._say_waiting(waited)
                    return  # keep waiting: try again on a later round
                waited_note = "" if self._refusal is not None else f" (the job waited {self.connect_grace:g} s for it)"
                for waiting in self._take_all_pending():
                    self._fail(waiting, self.server.error or f"No Director server at {self.url}",
                               hint=(self.server.error_hint or "") + waited_note)
                return
            with self._lock:
                self._pending.remove(job_id)
            self._guarded(job_id, self._send, record, client)

    def _say_waiting(self, waited: float) -> None:
        text = f"Waiting for the server at {self.url}: {waited:.0f} s of {self.connect_grace:.0f} s"
        with self._lock:
            pending = list(self._pending)
        for job_id in pending:
            record = self.get(job_id)
            if record is not None and record.waiting != text:
                self._update(job_id, waiting=text)

    def _send(self, record: JobRecord, client: Wan2GPClient) -> None:
        if record.retry_of and self._reattach.fetch_instead(record, client):
            return
        try:
            job = client.submit(record.settings, output_dir=record.output_dir, simulation=record.simulation,
                                job_id=record.server_job_id)
        except ServerUnavailableError as error:  # not sent: it waits for the server like the others
            self._requeue(record.id)
            self._lost(client, error)
            self._reconnect.mark_down()
            return
        if self.stall_seconds is not None:
            job.stall_seconds = self.stall_seconds
        job.refetch_seconds = 0  # a cut download is fetched again by Reattach, the job shown waiting meanwhile
        self._live[record.id] = job
        job.when_done(self._wake.set)  # its clip is collected the moment it is there, not at the next poll
        self._update(record.id, state=JobState.SUBMITTING, waiting="", server_url=self.url,
                     client_id=str(getattr(client, "client_id", "") or ""))
        self._wait_acknowledged(job)  # keeps the server's queue in the order jobs were asked for
        self._heard()

    def _reachable_client(self) -> Wan2GPClient | None:
        """The connection to send on: checked first when the server has been quiet (a dead one is
        replaced, a restarted one is reconnected), else reconnected with backoff."""
        client = self._client
        if client is not None and client.connected and not self._reconnect.is_down:
            if time.monotonic() - self._last_contact < IDLE_PROBE_SECONDS:
                return client
            if self._still_same_server(client):
                return client
            self._lost(client, ServerUnavailableError(self.url, "it stopped answering or restarted"))
            self._reconnect.mark_down()
        if not self._reconnect.may_try():
            return None
        client = self._connect()
        if client is not None:
            self._reconnect.succeeded()
            return client
        self._reconnect.failed()
        return None

    def _still_same_server(self, client: Wan2GPClient) -> bool:
        if not client.is_alive():
            return False
        try:
            status = client.server_status()
        except DirectorError:
            return False
        started = time.time() - status.uptime_seconds
        if self._server_started is not None and abs(started - self._server_started) > 5.0:
            return False  # it restarted: a fresh connection before sending
        self._heard(status.uptime_seconds)
        return True

    def _take_all_pending(self) -> list[str]:
        with self._lock:
            taken, self._pending = self._pending, []
        self._reconnect.succeeded()
        return taken

    def _wait_acknowledged(self, job: GenerationJob, timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while job.status().state is JobState.SUBMITTING and not job.done() and time.monotonic() < deadline:
            time.sleep(0.01)

    def _requeue(self, job_id: str) -> None:
        """Back among the jobs to send, in the order they were asked for."""
        with self._lock:
            created = self._records[job_id].created_at
            at = next((n for n, other in enumerate(self._pending)
                       if other in self._records and self._records[other].created_at > created), len(self._pending))
            self._pending.insert(at, job_id)

    # -- following

    def _poll_live(self) -> None:
        for job_id, job in list(self._live.items()):
            self._guarded(job_id, self._poll_one, job_id, job)

    def _poll_one(self, job_id: str, job: Job) -> None:
        if not job.done():
            status = job.status()
            record = self.get(job_id)
            if record is not None and (record.status is None or _news(record.status, status)
                                       or record.state is not status.state):
                self._heard()
                self._update(job_id, state=status.state, status=status,
                             waiting=record.waiting if isinstance(job, AttachedJob) else "")
            return
        try:
            result = job.result(timeout=5)
        except JobTimeoutError:
            return
        except JobCancelledError as error:
            self._live.pop(job_id, None)
            self._update(job_id, state=JobState.CANCELLED, status=job.status(), error=error.message, waiting="")
            return
        except JobGoneError as error:
            self._live.pop(job_id, None)
            self._reattach.gone(job_id, job, error)
            return
        except TransportError as error:
            self._live.pop(job_id, None)
            self._reattach.connection_lost(job_id, job, error)
            return
        except GenerationFailedError as error:
            self._live.pop(job_id, None)
            if error.stage == "transport":  # died or hung mid-job
                self._reattach.connection_lost(job_id, job, error)
            else:
                self._fail_with(job_id, error)
            return
        except ServerReplyError as error:
            self._live.pop(job_id, None)
            if isinstance(job, GenerationJob):  # it finished, but its clip did not arrive: the server keeps it
                self._reattach.mark_lost(job_id, resend=False, reason="its clip did not arrive (the server went away?)")
            else:
                self._fail_with(job_id, error)
            return
        self._live.pop(job_id, None)
        self._heard()
        self._update(job_id, state=JobState.SUCCEEDED, status=job.status(), result=self._in_place(job_id, result),
                     waiting="")

    def _in_place(self, job_id: str, result: JobResult) -> JobResult:
        """A clip that arrived in the folder the job had before its project moved: moved along."""
        record = self.get(job_id)
        if record is None or result.note or result.video_path.parent == record.output_dir:
            return result
        try:
            return move_clip(result, record.output_dir / result.video_path.name)
        except OSError:
            return result

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
        self._update(job_id, state=JobState.FAILED, error=message, error_hint=hint, error_detail=detail, waiting="")


def _news(old: JobStatus, new: JobStatus) -> bool:
    """The server said something new (not just another snapshot of the same state)."""
    def key(s: JobStatus) -> tuple:
        return s.state, s.phase, s.step, s.total_steps, s.queue_rank, s.queue_size, round(s.progress, 3), s.message

    return key(old) != key(new)


def _inside(path: Path, folder: Path) -> bool:
    try:
        return Path(path).resolve().parent == Path(folder).resolve()
    except OSError:
        return False
