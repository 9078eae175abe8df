"""Every error this package raises on purpose, in one tree. Each carries a message a film maker can
act on (`message`) and what to do about it (`hint`), kept apart so the UI can show both.

    DirectorError
    ├── TransportError                  the server cannot be reached, or the connection broke
    │   ├── ServerUnavailableError      nothing answers at the URL (or it hangs)
    │   ├── ConnectionLostError         a job's connection broke mid-job (also a GenerationFailedError)
    │   └── DownloadCutError            the job finished on the server, its clip's download broke
    ├── ApiMismatchError                something answers, but not a compatible Director server
    ├── ServerReplyError                the server answered with something this client cannot read
    ├── LoginError                      the login is missing, wrong, or given to a server without one
    ├── InvalidSettingsError            bad settings (names the field): caught before sending, or by the server
    ├── InvalidRequestError             a request the server refuses that is not about the settings
    │                                   (names the field: job_id, media slot, simulation, client id…)
    ├── JobError                        a job did not produce a clip
    │   ├── GenerationFailedError       the engine failed (carries the stage)
    │   ├── JobCancelledError
    │   ├── JobTimeoutError             also a TimeoutError: the wait ended, the job may run on
    │   └── JobGoneError                the server has no record of a job it was sent (Retry renders it)
    ├── ClipNotSavedError               a finished clip could not be written anywhere
    ├── LaunchError                     a local server did not start
    ├── Wan2GPInstallError              a Wan2GP folder or its Python is not usable
    ├── QueueError                      the add-on refused to queue a shot
    ├── PlacementError                  a finished clip could not be put on the timeline
    └── JournalCorrupt                  a project's job journal could not be read (kept aside)

Errors cross the wire as {"kind", "message", "hint", …} (common/protocol.py) and are decoded back
into the same class through `from_wire`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from . import hints


class DirectorError(Exception):
    """Base of every error this package raises on purpose."""

    kind: ClassVar[str] = "director_error"

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}

    @classmethod
    def from_dict(cls, data: dict[str, Any], job_id: str = "") -> DirectorError:
        """Rebuild this error from its wire form (subclasses with other constructors override)."""
        error = cls.__new__(cls)  # the class the server raised, with its message and hint
        DirectorError.__init__(error, str(data.get("message", "")), hint=str(data.get("hint", "")))
        return error


class TransportError(DirectorError):
    """The server could not be reached, or the connection to it broke."""

    kind = "transport"


class ServerUnavailableError(TransportError):
    kind = "server_unavailable"

    def __init__(self, url: str, reason: str = "", *, hint: str = "") -> None:
        self.url = url
        self.reason = reason
        message = f"No Director server is answering at {url}"
        if reason:
            message += f" ({reason})"
        super().__init__(
            message,
            hint=hint or hints.hint("start_server"),
        )


class ApiMismatchError(DirectorError):
    kind = "api_mismatch"

    def __init__(self, url: str, detail: str, *, hint: str = "") -> None:
        self.url = url
        super().__init__(
            f"The server at {url} is not a compatible Director server: {detail}",
            hint=hint or "point the add-on at the Director server (Start Server, or the launcher), not at "
            "Wan2GP's own web UI, and update the add-on and the server together",
        )


class ServerReplyError(DirectorError):
    kind = "server_reply"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The server sent a reply this client cannot read: {detail}",
            hint="update the add-on and the server to the same version; the server log has details",
        )


class FieldError(DirectorError, ValueError):
    """An error about one named field of what the client sent (the message starts with the field)."""

    default_field: ClassVar[str] = "settings"

    def __init__(self, field: str, message: str, *, hint: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}", hint=hint)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "field": self.field}

    @classmethod
    def from_dict(cls, data: dict[str, Any], job_id: str = "") -> DirectorError:
        field = str(data.get("field", cls.default_field))
        return cls(field, str(data.get("message", "")).removeprefix(f"{field}: "), hint=str(data.get("hint", "")))


class InvalidSettingsError(FieldError):
    kind = "invalid_settings"


class InvalidRequestError(FieldError):
    """The server refused a request that is not about the generation settings: the request's own
    fields (job_id, api_version, simulation), a media upload, the client id, a job that is not the
    caller's. Names the field like InvalidSettingsError."""

    kind = "invalid_request"
    default_field = "request"


class LoginError(DirectorError):
    """The server wants a login and got none or a wrong one, or got one and has no login."""

    kind = "login"

    def __init__(self, url: str, message: str, *, hint: str = "") -> None:
        self.url = url
        super().__init__(f"{message} ({url})", hint=hint)

    @classmethod
    def from_dict(cls, data: dict[str, Any], job_id: str = "") -> DirectorError:
        error = cls.__new__(cls)
        error.url = ""
        DirectorError.__init__(error, str(data.get("message", "")), hint=str(data.get("hint", "")))
        return error


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

    @classmethod
    def from_dict(cls, data: dict[str, Any], job_id: str = "") -> DirectorError:
        return cls(str(data.get("message", "")), stage=str(data.get("stage", "generation")), job_id=job_id,
                   hint=str(data.get("hint", "")))


class ConnectionLostError(GenerationFailedError, TransportError):
    """The server died, hung or restarted while it had this job: stage "transport"."""

    kind = "connection_lost"

    def __init__(self, message: str, *, job_id: str = "", hint: str = "") -> None:
        super().__init__(message, stage="transport", job_id=job_id,
                         hint=hint or "check that the server is running (its log says why it stopped), then Retry")

    @classmethod
    def from_dict(cls, data: dict[str, Any], job_id: str = "") -> DirectorError:
        return cls(str(data.get("message", "")), job_id=job_id, hint=str(data.get("hint", "")))


class DownloadCutError(JobError, TransportError):
    """The server finished the job (its clip is on the server's result shelf) but the download of the
    clip broke: fetch it again from the shelf rather than fail or render it again."""

    kind = "download_cut"

    def __init__(self, job_id: str, reason: str = "") -> None:
        self.reason = reason
        super().__init__(
            "The job finished on the server, but its clip's download was cut" + (f" ({reason})" if reason else ""),
            job_id=job_id, hint="the server keeps finished clips for a while: fetch it again (job_result) once "
                                "the server answers")

    @classmethod
    def from_dict(cls, data: dict[str, Any], job_id: str = "") -> DirectorError:
        return cls(job_id, str(data.get("message", "")))


class JobCancelledError(JobError):
    kind = "cancelled"

    def __init__(self, job_id: str = "", message: str = "The job was cancelled") -> None:
        super().__init__(message, job_id=job_id, hint="press Retry to queue it again")

    @classmethod
    def from_dict(cls, data: dict[str, Any], job_id: str = "") -> DirectorError:
        return cls(job_id)


class JobTimeoutError(JobError, TimeoutError):
    kind = "timeout"

    def __init__(self, job_id: str, seconds: float, what: str = "finish") -> None:
        self.seconds = seconds
        super().__init__(
            f"The job did not {what} within {seconds:g} s",
            job_id=job_id,
            hint="the job may still be running on the server: wait longer, or cancel it",
        )


class JobGoneError(JobError):
    """The server has no record of a job this client had sent (it never arrived, the server restarted
    or died with it, or its finished output is no longer kept): nothing to fetch, Retry renders it."""

    kind = "job_gone"

    def __init__(self, job_id: str, message: str = "", *, expired: bool = False) -> None:
        self.expired = expired
        super().__init__(
            message or "the server has no record of this job (it never started there, or the server restarted)",
            job_id=job_id, hint="press Retry to render it again (same seed)")

    @classmethod
    def from_dict(cls, data: dict[str, Any], job_id: str = "") -> DirectorError:
        return cls(job_id, str(data.get("message", "")))


class ClipNotSavedError(DirectorError):
    kind = "clip_not_saved"

    def __init__(self, reason: str, *, kept_at: Path | None = None) -> None:
        self.kept_at = kept_at
        super().__init__(f"The finished clip could not be saved: {reason}",
                         hint=f"free some disk space or pick a writable Clips Folder; the download is at {kept_at}"
                         if kept_at else "free some disk space or pick a writable Clips Folder")


class LaunchError(DirectorError):
    kind = "launch_failed"


class Wan2GPInstallError(DirectorError):
    kind = "wan2gp_install"


class QueueError(DirectorError):
    """Refused before anything was queued; the operator reports it."""

    kind = "queue_refused"


class PlacementError(DirectorError):
    """A finished clip could not be put on the timeline (said to the user, clip kept on disk)."""

    kind = "placement_failed"


class JournalCorrupt(DirectorError):
    """The journal could not be read; it was moved aside (kept, not deleted)."""

    kind = "journal_corrupt"

    def __init__(self, path: Path, moved_to: Path, reason: str) -> None:
        self.path, self.moved_to = path, moved_to
        super().__init__(f"the job journal {path} was unreadable ({reason}); kept as {moved_to.name}, starting afresh")


def _all_subclasses(cls: type[DirectorError]) -> list[type[DirectorError]]:
    return [cls] + [sub for direct in cls.__subclasses__() for sub in _all_subclasses(direct)]


def from_wire(data: dict[str, Any], job_id: str = "") -> DirectorError:
    """The error a server sent, as the class it raised (DirectorError for a kind this client does
    not know: a newer server)."""
    by_kind = {cls.kind: cls for cls in _all_subclasses(DirectorError)}
    return by_kind.get(str(data.get("kind")), DirectorError).from_dict(data, job_id)
