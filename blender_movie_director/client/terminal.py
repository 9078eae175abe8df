"""What the terminal client needs to never hang and never lose a clip: numbers checked before anything
is sent, a wait that honours --timeout and the hung-server watchdog, a Ctrl-C that cancels the
server's job and ends within a second or two, --out written where asked (a folder means a file inside
it) with the sidecar beside it, and an exit that no stuck network thread can hold up.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Protocol

from ..common.durations import check_seconds
from ..common.errors import ClipNotSavedError, InvalidSettingsError, JobTimeoutError
from ..common.messages import JobResult, JobStatus
from .clip_store import move_clip

__all__ = ["cancel_quickly", "check_seconds", "check_timeout", "deliver", "exit_process", "output_folder",
           "wait_for_clip"]

POLL_SECONDS = 0.1
CANCEL_WAIT_SECONDS = 1.0  # Ctrl-C or --timeout: how long the server gets to confirm the cancel


class WaitableJob(Protocol):
    id: str

    def done(self) -> bool: ...

    def status(self) -> JobStatus: ...

    def result(self, timeout: float | None = None) -> JobResult: ...

    def cancel(self, wait: float = ...) -> None: ...


class Progress(Protocol):
    def show(self, status: JobStatus) -> None: ...

    def end(self) -> None: ...


def check_timeout(timeout: float) -> float:
    if not math.isfinite(timeout) or timeout <= 0:
        raise InvalidSettingsError("timeout", f"{timeout:g} s: give the longest wait in seconds, e.g. 3600")
    return timeout


def output_folder(out: Path) -> Path:
    """Where the clip is downloaded to: --out itself when it is a folder, else the folder it names."""
    return out if is_folder(out) else (out.parent if str(out.parent) else Path("."))


def is_folder(out: Path) -> bool:
    return out.is_dir() or str(out).endswith((os.sep, "/"))


def wait_for_clip(job: WaitableJob, timeout: float, progress: Progress) -> JobResult:
    """Wait for the job (the server's watchdog included: job.done() fails a job whose server hangs),
    at most `timeout` seconds: then the server's job is cancelled and JobTimeoutError raised."""
    deadline = time.monotonic() + timeout
    while not job.done():
        progress.show(job.status())
        if time.monotonic() >= deadline:
            progress.end()
            cancel_quickly(job)
            raise JobTimeoutError(job.id, timeout)
        time.sleep(POLL_SECONDS)
    try:
        result = job.result(timeout=max(1.0, deadline - time.monotonic()))
    except BaseException:
        progress.end()  # the error gets a line of its own
        raise
    progress.show(job.status())
    progress.end()
    return result


def cancel_quickly(job: WaitableJob, seconds: float = CANCEL_WAIT_SECONDS) -> bool:
    """Ask the server to cancel the job, waiting at most about `seconds` (a hung server must not keep
    a terminal waiting); True when the server confirmed in time."""
    done = threading.Event()

    def cancel() -> None:
        try:
            job.cancel(wait=seconds)
        except Exception:  # unreachable server: nothing more to do from here
            return
        done.set()

    threading.Thread(target=cancel, name="bmd-cli-cancel", daemon=True).start()
    return done.wait(seconds + 0.5)


def deliver(result: JobResult, out: Path) -> JobResult:
    """Put the clip where --out says (a folder: a file inside it, named as the server named it) with
    its sidecar beside it, naming it. Raises ClipNotSavedError saying where the clip is when it
    cannot be written there."""
    if is_folder(out):
        target = out / result.video_path.name
    else:
        target = out if out.suffix else out.with_suffix(result.video_path.suffix)
    try:
        return move_clip(result, target)
    except OSError as exc:
        raise ClipNotSavedError(f"could not write {target}: {exc.strerror or exc}", kept_at=result.video_path) from None


def exit_process(code: int) -> None:
    """End the process now: a network thread still waiting on a hung server (gradio's stream reader)
    would otherwise keep the interpreter from exiting for ever."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
