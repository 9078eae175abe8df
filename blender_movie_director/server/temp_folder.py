"""The server's private temporary folder (gradio's uploads and its served copies of outputs).

It is deleted when the server stops, also on SIGTERM (the launcher's Stop Server) and Ctrl-C, whose
default would end the process without it. A server killed outright (SIGKILL, power cut) cannot clean up after itself:
each folder names its owner's pid, and the next server to start deletes the folders whose owner is
gone (measured before this: 1,499 folders, 17 GB, left in /tmp by test and bench servers).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("bmd.server")

PREFIX = "director-server-"
OWNER_FILE = ".owner-pid"


def create() -> Path:
    """A new private folder, after deleting those left by servers that are gone."""
    root = Path(tempfile.gettempdir())
    removed = remove_orphans(root)
    if removed:
        log.info("deleted %d temporary folder(s) left by servers that were killed", removed)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root)).resolve()
    (folder / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
    return folder


def remove_orphans(root: Path) -> int:
    """Delete the server folders under `root` whose owning process no longer runs. Folders without
    an owner file (older servers) or owned by a live process are left alone."""
    removed = 0
    for folder in root.glob(f"{PREFIX}*"):
        try:
            pid = int((folder / OWNER_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += not folder.exists()
    return removed


def exit_on_stop_signals(clean_up: Callable[[], None]) -> None:
    """SIGTERM (Stop Server) and SIGINT (Ctrl-C) clean up and end the process at once. gradio's own
    Ctrl-C handling waits for the running request, i.e. for a render to finish (minutes on a GPU)."""
    def stop(signum: int, frame: object) -> None:
        log.info("stopping on signal %d", signum)
        clean_up()
        logging.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
