"""The server's LoRAs for a model, asked for on a thread of its own (never on Blender's main thread).

The Look panel asks `request(url, model)` when a model is picked or Refresh is pressed; a worker
connects, calls list_loras and keeps the answer; the panel reads `get()` on each draw and the
add-on's tick redraws when `changed()` says something arrived. No bpy here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..common.errors import DirectorError
from ..common.messages import LoraList


class LoraLists:
    def __init__(self, client_factory: Callable[[str], Any]) -> None:
        self._factory = client_factory
        self._lock = threading.Lock()
        self._found: dict[tuple[str, str], LoraList] = {}
        self._errors: dict[tuple[str, str], str] = {}
        self._asking: dict[tuple[str, str], threading.Thread] = {}
        self._news = False

    def request(self, url: str, model_type: str, *, refresh: bool = False) -> None:
        """Ask the server (once at a time per model; again only when `refresh`)."""
        key = (url.rstrip("/"), model_type)
        with self._lock:
            if key in self._asking or (not refresh and (key in self._found or key in self._errors)):
                return
            worker = threading.Thread(target=self._ask, args=(key,), name=f"bmd-loras-{model_type}", daemon=True)
            self._asking[key] = worker
        worker.start()

    def _ask(self, key: tuple[str, str]) -> None:
        url, model_type = key
        found: LoraList | None = None
        error = ""
        try:
            client = self._factory(url)
            try:
                found = client.list_loras(model_type)
            finally:
                client.close()
        except DirectorError as exc:
            error = exc.message
        except Exception as exc:  # a bug or an odd transport error: said in the panel, never raised
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            if found is not None:
                self._found[key] = found
                self._errors.pop(key, None)
            else:
                self._errors[key] = error or "no answer"
            self._asking.pop(key, None)
            self._news = True

    def get(self, url: str, model_type: str) -> LoraList | None:
        with self._lock:
            return self._found.get((url.rstrip("/"), model_type))

    def error(self, url: str, model_type: str) -> str:
        with self._lock:
            return self._errors.get((url.rstrip("/"), model_type), "")

    def asking(self, url: str, model_type: str) -> bool:
        with self._lock:
            return (url.rstrip("/"), model_type) in self._asking

    def changed(self) -> bool:
        """True once after an answer arrived (the UI redraws)."""
        with self._lock:
            news, self._news = self._news, False
            return news

    def wait(self, timeout: float = 10.0) -> None:
        """Until every question asked so far is answered (tests and scripts)."""
        with self._lock:
            workers = list(self._asking.values())
        for worker in workers:
            worker.join(timeout)
