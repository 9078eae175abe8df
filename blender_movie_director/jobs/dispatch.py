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
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from ..client.wan2gp_client import Wan2GPClient
from ..common.enums import JobState
from ..common.model_info import ModelInfo
from ..common.settings import GenerationSettings, SimulationOptions
from . import journal
from .manager import DEFAULT_SERVER_WAIT, JobManager, with_concrete_seed
from .pool_dispatch import PoolDispatch
from .pool_job import PoolJob
from .records import Event, JobChanged, JobRecord, ServerChanged, ServerInfo, Slot
from .server_pool import ServerEntry, normalise_url
from .write_behind import WriteBehind


class ServerPool:
    """Jobs over several servers, with the JobManager's main-thread API (never blocks). Over 200 lines
    because it offers that whole API (the add-on hands it out in a JobManager's place), each method
    mapping the pool's ids to its managers'; the dispatch thread's step is PoolDispatch's
    (jobs/pool_dispatch.py) and each job a PoolJob (jobs/pool_job.py)."""

    def __init__(self, servers: Sequence[ServerEntry], *, poll_interval: float = 0.25,
                 stall_seconds: float | None = None, connect_grace: float = DEFAULT_SERVER_WAIT,
                 client_factory: Callable[[str], Wan2GPClient] | None = None) -> None:
        if not servers:
            raise ValueError("a server pool needs at least one server")
        self.poll_interval = poll_interval
        self.connect_grace = connect_grace
        self.writes = WriteBehind()  # one writer for all: a clip's library entry and its placed flag in order
        self._managers: dict[str, JobManager] = {}
        for entry in servers:
            self._managers[entry.key] = JobManager(entry.url, poll_interval=poll_interval,
                                                   stall_seconds=stall_seconds, connect_grace=connect_grace,
                                                   client_factory=client_factory, writes=self.writes)
        self._order = list(self._managers)
        self._lock = threading.RLock()
        self._jobs: dict[str, PoolJob] = {}
        self._held: list[str] = []  # in the order asked for
        self._by_manager: dict[tuple[str, str], str] = {}  # (server, manager job id) -> pool id
        self._retired: set[tuple[str, str]] = set()  # attempts taken back: their news is not the job's
        self._events: list[Event] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dispatch_log: list[tuple[str, str]] = []  # (pool id, server) for each hand-over, in order
        self._dispatcher = PoolDispatch(self)  # the dispatch thread's step: health, fail-over, hand-over

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
        job = PoolJob(uuid.uuid4().hex[:12], with_concrete_seed(settings), slot, Path(output_dir),
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

    def jobs(self, project: Path | None = None) -> list[JobRecord]:
        with self._lock:
            return [self._record(job) for job in self._jobs.values()
                    if project is None or job.project == Path(project)]

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

    # ------------------------------------------------------------ the rest of JobManager's interface
    # (the add-on hands out a pool instead of a JobManager when several servers are set)

    @property
    def url(self) -> str:
        return self._order[0]

    @property
    def server(self) -> ServerInfo:
        """The first (default) server's state with every answering server's models (a model only one
        server has can be picked: it goes to that server); servers() has each one's own state."""
        first = self._managers[self._order[0]].server
        models: dict[str, ModelInfo] = {}
        for url in self._order:
            for model in self._managers[url].server.models:
                if model.id not in models or (model.available and not models[model.id].available):
                    models[model.id] = model
        return replace(first, models=tuple(models.values()))

    @property
    def journal_error(self) -> str:
        return "; ".join(m.journal_error for m in self._managers.values() if m.journal_error)

    def set_url(self, url: str) -> None:
        """The preferences' Server URL changed: the first server is now that one."""
        key, first = normalise_url(url), self._order[0]
        if not key or key == first or key in self._managers:
            return
        with self._lock:
            manager = self._managers.pop(first)
            self._managers[key] = manager
            self._order[0] = key
            for job in self._jobs.values():
                if job.server == first:
                    job.server = key
            self._by_manager = {(key if u == first else u, m): p for (u, m), p in self._by_manager.items()}
            self._retired = {(key if u == first else u, m) for (u, m) in self._retired}
        manager.set_url(key)

    def refresh_server(self) -> None:
        for manager in self._managers.values():
            manager.refresh_server()

    def retry(self, job_id: str) -> JobRecord | None:
        """The same shot again (same seed), on whichever server is free."""
        old = self.get(job_id)
        if old is None or not old.state.is_terminal:
            return None
        settings = old.settings
        if old.result is not None:
            settings = settings.model_copy(update={"seed": old.result.seed})
        return self.submit(settings, old.slot, old.output_dir, label=old.label, simulation=old.simulation,
                           project=old.project)

    def forget(self, job_id: str) -> None:
        record = self.get(job_id)
        if record is None or not record.state.is_terminal:
            return
        with self._lock:
            job = self._jobs.pop(job_id)
        if job.server:
            self._managers[job.server].forget(job.manager_id)

    def mark_saved(self, project: Path) -> None:
        for url, manager in self._managers.items():
            target = self._journal_for(Path(project), url)
            if target is not None:
                manager.mark_saved(target)

    def move_project(self, old: Path, new: Path, output_dir: Path | None = None) -> dict[Path, Path]:
        old, new = Path(old), Path(new)
        moved: dict[Path, Path] = {}
        for url, manager in self._managers.items():
            old_journal, new_journal = self._journal_for(old, url), self._journal_for(new, url)
            if old_journal is not None and new_journal is not None:
                moved.update(manager.move_project(old_journal, new_journal, output_dir))
        with self._lock:
            for job in self._jobs.values():
                if job.project != old:
                    continue
                if not job.server:  # held here: it follows the project
                    job.project = new
                    if output_dir is not None:
                        job.output_dir = Path(output_dir)
                    continue
                inner = self._managers[job.server].get(job.manager_id)
                if inner is not None and inner.project == self._journal_for(new, job.server):
                    job.project = new
        return moved

    def load_journal(self, project: Path) -> list[JobRecord]:
        """A .blend was opened: each server's manager brings back its jobs (fetched, followed or
        offered for Retry on the server that had them)."""
        project = Path(project)
        for url, manager in self._managers.items():
            journal_path = self._journal_for(project, url)
            if journal_path is None:
                continue
            for record in manager.load_journal(journal_path):
                with self._lock:
                    if (url, record.id) in self._by_manager:
                        continue
                    job = PoolJob(record.id, record.settings, record.slot, record.output_dir, record.label,
                                   record.simulation, project, created_at=record.created_at, server=url,
                                   manager_id=record.id)
                    self._jobs[job.id] = job
                    self._by_manager[(url, record.id)] = job.id
        return self.jobs(project=project)

    # ------------------------------------------------------------ records

    def _record(self, job: PoolJob) -> JobRecord:
        if job.server:
            inner = self._managers[job.server].get(job.manager_id)
            if inner is not None:
                return inner.model_copy(update={"id": job.id, "server_url": job.server, "project": job.project})
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
                         error_hint="start a server that has this model (or add one to the list), then press Retry"
                         if job.failed else "")

    def _emit(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def _collect(self) -> None:
        """The managers' news, with the pool's ids; news of attempts taken back is dropped."""
        for url in self._order:
            for event in self._managers[url].drain():
                if isinstance(event, ServerChanged):
                    self._emit(ServerChanged(self.server))  # the panel's model list: every server's models
                    continue
                key = (url, event.record.id)
                with self._lock:
                    pool_id = self._by_manager.get(key)
                    if pool_id is None or key in self._retired:
                        continue
                    project = self._jobs[pool_id].project
                    self._events.append(JobChanged(event.record.model_copy(update={
                        "id": pool_id, "server_url": url, "project": project})))

    # ------------------------------------------------------------ the dispatch thread

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._dispatcher.step()
            except Exception:  # the pool survives a fault of its own; the managers carry on
                import traceback

                traceback.print_exc()
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def _journal_for(self, project: Path | None, url: str) -> Path | None:
        """Each server's manager keeps its own journal (the first server's is the project's own):
        two managers never write over each other's file."""
        order = self._order.index(url)
        if project is None or order == 0:
            return project
        return project.with_name(f"{project.stem}.server{order}{project.suffix}")

