"""What the server says when asked about one job by id (/job_result): how it stands, and for a finished
one its reply (the clip travels beside it as a file).

This is how a client reattaches instead of rendering again: after Blender crashed, after a connection
dropped, or before a Retry, it asks the server about the job it had sent.
"""

from __future__ import annotations

from enum import Enum

from .enums import JobState
from .messages import GenerateReply
from .wire_model import WireModel

JOB_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"  # the same rule as GenerateRequest.job_id
DEFAULT_KEEP_HOURS = 24.0  # how long the server keeps a finished job's output for a client to fetch


class ServerJobState(str, Enum):
    """A job as the server knows it. UNKNOWN: never arrived, lost in a server restart, or forgotten."""

    UNKNOWN = "unknown"
    WAITING = "waiting"  # arrived, waiting for the GPU
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # its output is kept: fetch it
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # it finished, but its output is no longer kept

    @property
    def is_final(self) -> bool:
        return self not in (ServerJobState.WAITING, ServerJobState.RUNNING)

    @property
    def job_state(self) -> JobState:
        return _AS_JOB_STATE[self]


_AS_JOB_STATE = {
    ServerJobState.UNKNOWN: JobState.INTERRUPTED, ServerJobState.WAITING: JobState.QUEUED,
    ServerJobState.RUNNING: JobState.RUNNING, ServerJobState.SUCCEEDED: JobState.SUCCEEDED,
    ServerJobState.FAILED: JobState.FAILED, ServerJobState.CANCELLED: JobState.CANCELLED,
    ServerJobState.EXPIRED: JobState.INTERRUPTED,
}


class JobLookup(WireModel):
    job_id: str
    state: ServerJobState
    step: int = 0
    total_steps: int = 0
    message: str = ""  # why it failed, or what happened to it
    reply: GenerateReply | None = None  # set when SUCCEEDED
    kept_until: float | None = None  # when the server forgets a SUCCEEDED job's output
