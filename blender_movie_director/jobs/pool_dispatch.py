"""The server pool's dispatch step (jobs/dispatch.py ServerPool runs it on its thread): each server's
load and health, the jobs taken back from a server that stopped answering, and each held job handed,
in the order asked, to the least-busy healthy server that has the model (server_pool.choose), or
ended with the reason when waiting would not help. No bpy here.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Protocol

from ..common.enums import JobState
from .manager import JobManager
from .pool_job import PoolJob
from .records import Event, JobChanged, JobRecord
from .server_pool import ServerLoad, choose, nobody_has

PROBE_DOWN_SECONDS = 2.0  # how often a server that stopped answering is tried again
NOT_STARTED = (JobState.SUBMITTING, JobState.QUEUED)


class PoolHost(Protocol):
    """What the dispatch step uses of the ServerPool that runs it."""

    connect_grace: float
    dispatch_log: list[tuple[str, str]]
    _managers: dict[str, JobManager]
    _order: list[str]
    _lock: threading.RLock
    _jobs: dict[str, PoolJob]
    _held: list[str]
    _by_manager: dict[tuple[str, str], str]
    _retired: set[tuple[str, str]]
    _events: list[Event]

    def _record(self, job: PoolJob) -> JobRecord: ...

    def _journal_for(self, project: Path | None, url: str) -> Path | None: ...


class PoolDispatch:
    def __init__(self, host: PoolHost) -> None:
        self._host = host
        self._down_since: dict[str, float] = {}  # url: monotonic time it was first found down
        self._probed: dict[str, float] = {}  # url: monotonic time it was last asked whether it is back

    def step(self) -> None:
        loads = self._loads()
        for load in loads:
            if not load.healthy:
                self._fail_over(load.url)
        self._dispatch(loads)

    def _healthy(self, url: str) -> bool:
        host = self._host
        manager = host._managers[url]
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
        host = self._host
        with host._lock:
            mine = [(j.id, j.manager_id) for j in host._jobs.values() if j.server == url]
        manager = host._managers[url]
        records = [manager.get(mid) for _, mid in mine]
        return [r for r in records if r is not None and not r.state.is_terminal]

    def _loads(self) -> list[ServerLoad]:
        host = self._host
        loads = []
        for order, url in enumerate(host._order):
            flying = self._in_flight(url)
            loads.append(ServerLoad(url, host._managers[url].server, ours=len(flying),
                                    ours_progress=min((r.progress for r in flying), default=0.0),
                                    healthy=self._healthy(url), order=order))
        return loads

    def _fail_over(self, url: str) -> None:
        """Take back what did not start on a server that stopped answering."""
        host = self._host
        manager = host._managers[url]
        with host._lock:
            theirs = [j for j in host._jobs.values() if j.server == url and not j.cancelled]
        for job in theirs:
            record = manager.get(job.manager_id)
            if record is None or record.state not in NOT_STARTED or (record.status and record.status.progress > 0):
                continue  # running (or ended) there: it stays, reattached when the server answers
            with host._lock:
                host._retired.add((url, job.manager_id))
                job.moved_from.append(url)
                job.server, job.manager_id = "", ""
                at = next((n for n, other in enumerate(host._held)
                           if host._jobs[other].created_at > job.created_at), len(host._held))
                host._held.insert(at, job.id)
                host._events.append(JobChanged(host._record(job)))
            manager.cancel(record.id)  # never sent: dropped; sent: cancelled there now or when it answers

    def _hopeless(self, loads: list[ServerLoad], model: str) -> str:
        """Why a held job of `model` cannot be sent, when waiting would not help: no server has the model,
        or every server has been down for `connect_grace` seconds ("" while there is hope)."""
        host = self._host
        if nobody_has(loads, model):
            return f"No server in the list has the model {model}"
        if any(load.healthy for load in loads):
            return ""
        now = time.monotonic()
        downs = [self._down_since.get(load.url) for load in loads]
        if downs and all(d is not None and now - d >= host.connect_grace for d in downs):
            return (f"No server of the list answered for {host.connect_grace:g} s: "
                    + "; ".join(f"{load.url}: {load.info.error}" for load in loads))
        return ""

    def _dispatch(self, loads: list[ServerLoad]) -> None:
        host = self._host
        with host._lock:
            held = list(host._held)
        by_url = {load.url: load for load in loads}
        for job_id in held:
            with host._lock:
                job = host._jobs.get(job_id)
            if job is None or job.cancelled:
                continue
            model = job.settings.model_type if job.settings.finish is None else ""  # finishing: any server
            target = choose(list(by_url.values()), model)
            if target is None:
                reason = self._hopeless(list(by_url.values()), model)
                if reason:
                    with host._lock:
                        job.failed = reason
                        host._held.remove(job_id)
                        host._events.append(JobChanged(host._record(job)))
                continue
            record = host._managers[target.url].submit(job.settings, job.slot, job.output_dir, label=job.label,
                                                       simulation=job.simulation,
                                                       project=host._journal_for(job.project, target.url))
            with host._lock:
                job.server, job.manager_id = target.url, record.id
                host._by_manager[(target.url, record.id)] = job.id
                host._held.remove(job_id)
                host.dispatch_log.append((job.id, target.url))
            by_url[target.url] = ServerLoad(target.url, target.info, ours=target.ours + 1, ours_progress=0.0,
                                            healthy=True, order=target.order)
