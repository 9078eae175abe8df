"""What the server log says: one line per failed, cancelled or refused job with its reason; a
traceback only for a real server bug.

- Our own typed errors reach gradio as gr.Error(print_exception=False): no gradio traceback.
- gradio itself prints a traceback (`traceback.print_exc()`) when it refuses a malformed call before
  our code runs (too few arguments, a file outside its upload folder); `quiet_gradio_tracebacks`
  turns those into one line each. Only the `traceback` name inside gradio's queueing and routes
  modules is replaced, not the standard library's module.
- Refusals are rate-limited (a flood of junk requests cannot fill the disk): at most
  REFUSALS_PER_MINUTE lines a minute, then one line saying how many more there were.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
import types
from typing import Any

log = logging.getLogger("bmd.server")

REFUSALS_PER_MINUTE = 30
MAX_LINE_CHARS = 300


def one_line(text: str, limit: int = MAX_LINE_CHARS) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class RateLimitedLog:
    def __init__(self, per_minute: int = REFUSALS_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._window_start = 0.0
        self._count = 0
        self._dropped = 0

    def info(self, message: str, *args: Any) -> bool:
        """Log one line unless this minute's quota is spent; returns whether it was written."""
        now = time.monotonic()
        with self._lock:
            if now - self._window_start >= 60:
                if self._dropped:
                    log.info("… and %d more refused requests in the last minute (not logged one by one)",
                             self._dropped)
                self._window_start, self._count, self._dropped = now, 0, 0
            if self._count >= self.per_minute:
                self._dropped += 1
                return False
            self._count += 1
        log.info(message, *args)
        return True


refusals = RateLimitedLog()


class _QuietTraceback(types.ModuleType):
    """The `traceback` module as gradio's modules see it: print_exc() logs one line."""

    def __init__(self) -> None:
        super().__init__("traceback")

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def print_exc(*args: Any, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        if error is None:
            return
        refusals.info("gradio refused a call: %s: %s", type(error).__name__, one_line(str(error), 200))


def quiet_gradio_tracebacks() -> None:
    for name in ("gradio.queueing", "gradio.routes", "gradio.route_utils", "gradio.utils"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "traceback", None) is traceback:
            module.traceback = _QuietTraceback()  # type: ignore[attr-defined]
