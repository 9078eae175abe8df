"""Typed errors. Each carries a message a film maker can act on and a recovery hint.

    DirectorError
    ├── ServerUnavailableError      nothing answers at the URL (or it hangs)
    ├── ApiMismatchError            something answers, but not a compatible Director server
    ├── ServerReplyError            the server answered with something malformed
    ├── InvalidSettingsError        bad input, caught before anything is sent (names the field)
    └── JobError                    a job did not produce a clip
        ├── GenerationFailedError   the engine failed (carries the stage)
        ├── JobCancelledError
        └── JobTimeoutError
"""

from __future__ import annotations

from typing import Any


class DirectorError(Exception):
    """Base of every error this package raises on purpose."""

    kind = "director_error"

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}


class ServerUnavailableError(DirectorError):
    kind = "server_unavailable"

    def __init__(self, url: str, reason: str = "", *, hint: str = "") -> None:
        self.url = url
        self.reason = reason
        message = f"No Director server is answering at {url}"
        if reason:
            message += f" ({reason})"
        super().__init__(
            message,
            hint=hint or "start it with `python scripts/launch_wan2gp.py --simulate` "
            "(or the Start button in Blender's Director panel), then try again",
        )


class ApiMismatchError(DirectorError):
    kind = "api_mismatch"

    def __init__(self, url: str, detail: str, *, hint: str = "") -> None:
        self.url = url
        super().__init__(
            f"The server at {url} is not a compatible Director server: {detail}",
            hint=hint or "point the client at the Director server started by "
            "scripts/launch_wan2gp.py, not at Wan2GP's own web UI, and update the add-on and "
            "the server together",
        )


class ServerReplyError(DirectorError):
    kind = "server_reply"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The server sent a reply this client cannot read: {detail}",
            hint="update the add-on and the server to the same version; the server log has details",
        )


class InvalidSettingsError(DirectorError, ValueError):
    kind = "invalid_settings"

    def __init__(self, field: str, message: str, *, hint: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}", hint=hint)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "field": self.field}


class JobError(DirectorError):
    kind = "job_error"

    def __init__(self, message: str, *, job_id: str = "", hint: str = "") -> None:
        self.job_id = job_id
        super().__init__(message, hint=hint)


class GenerationFailedError(JobError):
    kind = "generation_failed"

    def __init__(self, message: str, *, stage: str = "generation", job_id: str = "", hint: str = "") -> None:
        self.stage = stage
        super().__init__(
            f"Generation failed during {stage}: {message}",
            job_id=job_id,
            hint=hint or "press Retry; if it fails again, check the server log",
        )
        self.reason = message

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "message": self.reason, "stage": self.stage}


class JobCancelledError(JobError):
    kind = "cancelled"

    def __init__(self, job_id: str = "", message: str = "The job was cancelled") -> None:
        super().__init__(message, job_id=job_id, hint="press Retry to queue it again")


class JobTimeoutError(JobError):
    kind = "timeout"

    def __init__(self, job_id: str, seconds: float, what: str = "finish") -> None:
        self.seconds = seconds
        super().__init__(
            f"The job did not {what} within {seconds:g} s",
            job_id=job_id,
            hint="the job may still be running on the server: wait longer, or cancel it",
        )
