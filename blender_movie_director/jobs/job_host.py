"""What the job manager's pieces (reattach.py, cancel_requests.py) use of the manager that holds them:
its records, queue and live jobs, its connection, and the steps that change a job. jobs/manager.py
JobManager is the one host; the pieces run on its worker thread. No bpy here."""

from __future__ import annotations

import threading
from typing import Any, Protocol

from ..client.attached_job import AttachedJob
from ..client.job import GenerationJob
from ..client.wan2gp_client import Wan2GPClient
from ..common.errors import DirectorError
from .reconnect import Reconnect
from .recorded_servers import RecordedServers
from .records import JobRecord
from .server_cancels import ServerCancels

Job = GenerationJob | AttachedJob


class JobHost(Protocol):
    url: str
    connect_grace: float
    poll_interval: float
    _lock: threading.Lock
    _pending: list[str]
    _live: dict[str, Job]
    _client: Wan2GPClient | None
    _reconnect: Reconnect
    _recorded: RecordedServers
    _server_cancels: ServerCancels

    def get(self, job_id: str) -> JobRecord | None: ...

    def _update(self, job_id: str, notify: bool = True, **changes: Any) -> JobRecord | None: ...

    def _reachable_client(self) -> Wan2GPClient | None: ...

    def _requeue(self, job_id: str) -> None: ...

    def _lost(self, client: Wan2GPClient | None, error: DirectorError) -> None: ...

    def _fail_with(self, job_id: str, error: DirectorError) -> None: ...
