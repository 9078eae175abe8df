"""/job_result: how one job stands, by id, and its clip when it finished (from the result shelf).

A client asks this after it lost a job's connection (Blender crashed, the server restarted, the
network dropped) or before a Retry, so that a finished clip is fetched and not rendered again, and
a job that is still running is followed to its end.
"""

from __future__ import annotations

import re

from ..common.enums import JobState
from ..common.errors import InvalidRequestError
from ..common.job_lookup import JOB_ID_PATTERN, JobLookup, ServerJobState
from ..common.messages import ServerJobRecord
from .job_registry import NOT_YOURS_HINT, JobRegistry
from .result_shelf import ResultShelf

_FROM_REGISTRY = {
    JobState.QUEUED: ServerJobState.WAITING, JobState.SUBMITTING: ServerJobState.WAITING,
    JobState.RUNNING: ServerJobState.RUNNING, JobState.DOWNLOADING: ServerJobState.RUNNING,
    JobState.FAILED: ServerJobState.FAILED, JobState.CANCELLED: ServerJobState.CANCELLED,
    JobState.INTERRUPTED: ServerJobState.FAILED,
}


def lookup_job(registry: JobRegistry, shelf: ResultShelf, job_id: str, owner: str) -> tuple[str | None, str]:
    """(the output's path or None, JobLookup as JSON). A job of another client is refused
    (InvalidRequestError), as /cancel and /jobs do: a client sees its own jobs only."""
    if not isinstance(job_id, str) or not re.fullmatch(JOB_ID_PATTERN, job_id):  # refused as /cancel refuses it
        shown = f"{job_id[:40]!r}{'…' if len(job_id) > 40 else ''}" if isinstance(job_id, str) else type(job_id).__name__
        raise InvalidRequestError("job_id", f"{shown} is not a job id (8–64 letters, digits, - or _)",
                                  hint="ask with the id submit() gave the job")
    known = registry.owner_of(job_id) or shelf.owner_of(job_id)
    if known is not None and known != owner:
        raise InvalidRequestError("job_id", f"{job_id} is not one of this client's jobs", hint=NOT_YOURS_HINT)
    shelved = shelf.get(job_id)
    if isinstance(shelved, tuple):
        reply, output, kept_until = shelved
        return str(output), JobLookup(job_id=job_id, state=ServerJobState.SUCCEEDED, reply=reply,
                                      kept_until=kept_until).model_dump_json()
    record = _record(registry, job_id)
    if record is None or record.state is JobState.SUCCEEDED:
        state = ServerJobState.EXPIRED if shelved is False or record is not None else ServerJobState.UNKNOWN
        message = ("it finished, but its output is no longer kept on the server" if state is ServerJobState.EXPIRED
                   else "the server has no record of it (it never started here, or the server restarted)")
        return None, JobLookup(job_id=job_id, state=state, message=message).model_dump_json()
    return None, JobLookup(job_id=job_id, state=_FROM_REGISTRY[record.state], step=record.step,
                           total_steps=record.total_steps, message=record.message).model_dump_json()


def _record(registry: JobRegistry, job_id: str) -> ServerJobRecord | None:
    for record in reversed(registry.history()):
        if record.job_id == job_id:
            return record
    return None
