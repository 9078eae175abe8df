"""One queue across several Director servers.

`ServerPool` keeps one `JobManager` per server (each connects, sends, polls and reattaches for its
server as it always did) and holds the jobs itself until a server can start them: its dispatch thread
hands each job, in the order asked, to the least-busy healthy server that has the model
(server_pool.choose), only when that server is free or about to be.

Failover: when a server stops answering, its jobs that did not start there (held in its manager, or
only waiting in its queue) are taken back at once and go to the others; the one that was running stays
with that server's manager, which reattaches to it (fetches its clip) when it answers again, so no job
is rendered twice. A job taken back is cancelled on its first server (now, or as soon as it answers).

The pool's job ids are its own; `get()`/`jobs()` give the record of the attempt that counts with the
pool's id, and `server_url` says which server runs it. No bpy here.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..client.wan2gp_client import Wan2GPClient
from ..common.enums import JobState
from ..common.settings import GenerationSettings, SimulationOptions
from . import journal
from .manager import DEFAULT_SERVER_WAIT, JobManager, with_concrete_seed
from .records import Event, JobChanged, JobRecord, ServerChanged, ServerInfo, Slot
from .server_pool import ServerEntry, ServerLoad, choose, nobody_has, normalise_url

PROBE_DOWN_SECONDS = 2.0  # how often a server that stopped answering is tried again
NOT_STARTED = (JobState.SUBMITTING, JobState.QUEUED)


@dataclass
class _PoolJob:
    id: str
    settings: GenerationSettings
    slot: Slot
    output_dir: Path
    label: str
    simulation: SimulationOptions | None
    project: Path | None
    created_at: float = field(default_factory=time.time)
    server: str = ""  # the server it was handed to ("" while held here)
    manager_id: str = ""  # its id in that server's manager
    moved_from: list[str] = field(default_factory=list)  # servers it was taken back from
    failed: str = ""  # ended here, before any server had it
    cancelled: bool = False


class ServerPool:
    """Jobs over several servers, with the JobManager's main-thread API (never blocks)."""

    def __init__(self, servers: Sequence[ServerEntry], *, poll_interval: float = 0.25,
                 stall_seconds: float | None = None, connect_grace: float = DEFAULT_SERVER_WAIT,
                 client_factory: Callable[[str], Wan2GPClient] | None = None) -> None:
        if not servers:
            raise ValueError("a server pool needs at least one server")
        self.poll_interval = poll_interval
        self.connect_grace = connect_grace
        self._managers: dict[str, JobManager] = {}
        for entry in servers:
            self._managers[entry.key] = JobManager(entry.url, poll_interval=poll_interval,
                                                   stall_seconds=stall_seconds, connect_grace=connect_grace,
                                                   client_factory=client_factory)
        self._order = list(self._managers)
        self._lock = threading.RLock()
        self._jobs: dict[str, _PoolJob] = {}
        self._held: list[str] = []  # in the order asked for
        self._by_manager: dict[tuple[str, str], str] = {}  # (server, manager job id) -> pool id
        self._retired: set[tuple[str, str]] = set()  # attempts taken back: their news is not the job's
        self._events: list[Event] = []
        self._down_since: dict[str, float] = {}
        self._probed: dict[str, float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dispatch_log: list[tuple[str, str]] = []  # (pool id, server) for each hand-over, in order

    # ------------------------------------------------------------ main-thread API

    @property
    def urls(self) -> list[str]:
        return list(self._order)

    def manager_for(self, url: str) -> JobManager:
        return self._managers[normalise_url(url)]

    def servers(self) -> list[ServerInfo]:
        return [self._managers[u].server for u in self._order]

    def start(self) -> None:
        for manager in self._managers.values():
            manager.start()
            manager.refresh_server()
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="bmd-dispatch", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        for manager in self._managers.values():
            manager.stop(timeout)

    def submit(self, settings: GenerationSettings, slot: Slot, output_dir: Path, *, label: str = "",
               simulation: SimulationOptions | None = None, project: Path | None = None) -> JobRecord:
        job = _PoolJob(uuid.uuid4().hex[:12], with_concrete_seed(settings), slot, Path(output_dir),
                       label or settings.prompt[:40], simulation,
                       Path(project) if project else journal.default_journal(output_dir))
        with self._lock:
            self._jobs[job.id] = job
            self._held.append(job.id)
        record = self._record(job)
        self._emit(JobChanged(record))
        self.start()
        self._wake.set()
        return record

    def cancel(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.cancelled = True
            if job_id in self._held:
                self._held.remove(job_id)
                self._events.append(JobChanged(self._record(job)))
                return
            server, manager_id = job.server, job.manager_id
        self._managers[server].cancel(manager_id)

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else self._record(job)

    def jobs(self) -> list[JobRecord]:
        with self._lock:
            return [self._record(job) for job in self._jobs.values()]

    def server_of(self, job_id: str) -> str:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.server if job is not None else ""

    def moved(self, job_id: str) -> list[str]:
        with self._lock:
            job = self._jobs.get(job_id)
            return list(job.moved_from) if job is not None else []

    def mark_placed(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            target = (job.server, job.manager_id) if job is not None and job.server else None
        if target is not None:
            self._managers[target[0]].mark_placed(target[1])

    def drain(self, limit: int = 200) -> list[Event]:
        """Events since the last call, with the pool's job ids (ServerChanged for every server)."""
        self._collect()
        with self._lock:
            events, self._events = self._events[:limit], self._events[limit:]
        return events

    @property
    def busy(self) -> bool:
        return any(not r.state.is_terminal for r in self.jobs())

    # ------------------------------------------------------------ records

    def _record(self, job: _PoolJob) -> JobRecord:
        if job.server:
            inner = self._managers[job.server].get(job.manager_id)
            if inner is not None:
                return inner.model_copy(update={"id": job.id, "server_url": job.server})
        state, error = JobState.SUBMITTING, ""
        waiting = "waiting for a free server"
        if job.moved_from:
            waiting = f"its server {job.moved_from[-1]} stopped answering: waiting for another one"
        if job.failed:
            state, error, waiting = JobState.FAILED, job.failed, ""
        elif job.cancelled:
            state, error, waiting = JobState.CANCELLED, "Cancelled before it was sent", ""
        return JobRecord(id=job.id, settings=job.settings, slot=job.slot, output_dir=job.output_dir,
                         label=job.label, project=job.project, state=state, error=error, waiting=waiting,
                         created_at=job.created_at, simulation=job.simulation,
                         error_hint="add a server that has this model, or pick another model" if job.failed else "")

    def _emit(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def _collect(self) -> None:
        """The managers' news, with the pool's ids; news of attempts taken back is dropped."""
        for url in self._order:
            for event in self._managers[url].drain():
                if isinstance(event, ServerChanged):
                    self._emit(event)
                    continue
                key = (url, event.record.id)
                with self._lock:
                    pool_id = self._by_manager.get(key)
                    if pool_id is None or key in self._retired:
                        continue
                    self._events.append(JobChanged(event.record.model_copy(update={"id": pool_id,
                                                                                   "server_url": url})))

    # ------------------------------------------------------------ the dispatch thread

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # the pool survives a fault of its own; the managers carry on
                import traceback

                traceback.print_exc()
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def _step(self) -> None:
        loads = self._loads()
        for load in loads:
            if not load.healthy:
                self._fail_over(load.url)
        self._dispatch(loads)

    def _healthy(self, url: str) -> bool:
        manager = self._managers[url]
        info = manager.server
        now = time.monotonic()
        if info.connected and not info.error:
            self._down_since.pop(url, None)
            return True
        if info.error:
            self._down_since.setdefault(url, now)
            if now - self._probed.get(url, 0.0) >= PROBE_DOWN_SECONDS:  # is it back?
                self._probed[url] = now
                manager.refresh_server()
        return False

    def _in_flight(self, url: str) -> list[JobRecord]:
        with self._lock:
            mine = [(j.id, j.manager_id) for j in self._jobs.values() if j.server == url]
        manager = self._managers[url]
        records = [manager.get(mid) for _, mid in mine]
        return [r for r in records if r is not None and not r.state.is_terminal]

    def _loads(self) -> list[ServerLoad]:
        loads = []
        for order, url in enumerate(self._order):
            flying = self._in_flight(url)
            loads.append(ServerLoad(url, self._managers[url].server, ours=len(flying),
                                    ours_progress=min((r.progress for r in flying), default=0.0),
                                    healthy=self._healthy(url), order=order))
        return loads

    def _fail_over(self, url: str) -> None:
        """Take back what did not start on a server that stopped answering."""
        manager = self._managers[url]
        with self._lock:
            theirs = [j for j in self._jobs.values() if j.server == url and not j.cancelled]
        for job in theirs:
            record = manager.get(job.manager_id)
            if record is None or record.state not in NOT_STARTED or (record.status and record.status.progress > 0):
                continue  # running (or ended) there: it stays, reattached when the server answers
            with self._lock:
                self._retired.add((url, job.manager_id))
                job.moved_from.append(url)
                job.server, job.manager_id = "", ""
                at = next((n for n, other in enumerate(self._held)
                           if self._jobs[other].created_at > job.created_at), len(self._held))
                self._held.insert(at, job.id)
                self._events.append(JobChanged(self._record(job)))
            manager.cancel(record.id)  # never sent: dropped; sent: cancelled there now or when it answers

    def _journal_for(self, project: Path | None, url: str) -> Path | None:
        """Each server's manager keeps its own journal (the first server's is the project's own):
        two managers never write over each other's file."""
        order = self._order.index(url)
        if project is None or order == 0:
            return project
        return project.with_name(f"{project.stem}.server{order}{project.suffix}")

    def _dispatch(self, loads: list[ServerLoad]) -> None:
        with self._lock:
            held = list(self._held)
        by_url = {load.url: load for load in loads}
        for job_id in held:
            with self._lock:
                job = self._jobs.get(job_id)
            if job is None or job.cancelled:
                continue
            model = job.settings.model_type
            target = choose(list(by_url.values()), model)
            if target is None:
                if nobody_has(list(by_url.values()), model):
                    with self._lock:
                        job.failed = f"No server in the list has the model {model}"
                        self._held.remove(job_id)
                        self._events.append(JobChanged(self._record(job)))
                continue
            record = self._managers[target.url].submit(job.settings, job.slot, job.output_dir, label=job.label,
                                                       simulation=job.simulation,
                                                       project=self._journal_for(job.project, target.url))
            with self._lock:
                job.server, job.manager_id = target.url, record.id
                self._by_manager[(target.url, record.id)] = job.id
                self._held.remove(job_id)
                self.dispatch_log.append((job.id, target.url))
            by_url[target.url] = ServerLoad(target.url, target.info, ours=target.ours + 1, ours_progress=0.0,
                                            healthy=True, order=target.order)
