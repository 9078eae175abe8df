"""The Director server's small endpoints: /cancel, /server_status, /models, /model_defaults, /loras,
/jobs and /job_result. Each answers at once (no GPU queue) and every failure goes back as a typed error."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import gradio as gr

from ..common import protocol
from ..common.errors import DirectorError
from ..common.messages import API_VERSION, ServerStatus
from ..common.version import __version__
from .job_lookup import lookup_job
from .logs import one_line, refusals
from .ownership import client_of, client_or_none
from .service_parts import ServiceParts
from .validation import check_job_id, check_model_type

log = logging.getLogger("bmd.server")


class SmallEndpoints:
    def __init__(self, service: ServiceParts) -> None:
        self.service = service

    def cancel(self, job_id: str, caller: gr.Request | None = None) -> str:
        def call() -> str:
            owner = client_of(caller)
            reply = self.service.registry.cancel(check_job_id(job_id), owner)
            (log.info if reply.was_running else refusals.info)("cancel %s: %s", job_id, reply.state.value)
            return reply.model_dump_json()

        return self._typed(call, "cancel")

    def server_status(self, caller: gr.Request | None = None) -> str:
        return self._typed(lambda: self._server_status(client_or_none(caller)), "server_status")

    def _server_status(self, owner: str | None) -> str:
        info = self.service.engine.describe()
        current = self.service.registry.current_job_id
        if current is not None and (owner is None or self.service.registry.owner_of(current) != owner):
            current = None  # another client's job: not named
        status = ServerStatus(
            api_version=API_VERSION, server_version=__version__, engine=self.service.engine.name,
            wan2gp_version=info.get("wan2gp_version"), gradio_version=gr.__version__,
            device=info.get("device", "unknown"), vram_total_gb=info.get("vram_total_gb"),
            vram_free_gb=info.get("vram_free_gb"), busy=self.service.registry.gpu_lock.locked(),
            current_job_id=current, queue_length=self.service.queue_length(),
            uptime_seconds=time.time() - self.service.started_at, test_controls=self.service.allow_test_controls,
            max_upload_bytes=self.service.limits.max_bytes,
        )
        return status.model_dump_json()

    def models(self) -> str:
        return self._typed(lambda: json.dumps([m.model_dump(mode="json") for m in self.service.engine.models()]), "models")

    def model_defaults(self, model_type: str) -> str:
        return self._typed(lambda: json.dumps(self.service.engine.model_defaults(check_model_type(model_type))),
                           "model_defaults")

    def loras(self, model_type: str) -> str:
        return self._typed(lambda: self.service.engine.loras(check_model_type(model_type)).model_dump_json(), "loras")

    def jobs(self, caller: gr.Request | None = None) -> str:
        """The caller's own jobs (a client never sees another's)."""
        return self._typed(lambda: json.dumps([r.model_dump(mode="json")
                                               for r in self.service.registry.history(client_of(caller))]), "jobs")

    def job_result(self, job_id: str, caller: gr.Request | None = None) -> tuple[str | None, str]:
        """How one of the caller's jobs stands, with its clip when it finished (a client that lost its
        connection, or a Blender reopened after a crash, fetches it instead of rendering it again)."""
        try:
            return lookup_job(self.service.registry, self.service.results, job_id, client_of(caller))
        except DirectorError as error:
            refusals.info("job_result refused: %s", one_line(str(error)))
            raise gr.Error(protocol.encode_error(error), print_exception=False) from None

    @staticmethod
    def _typed(call: Callable[[], str], endpoint: str = "") -> str:
        """A typed error on the wire for every failure: our refusals as they are (one rate-limited log
        line), anything else as a server bug (logged with its traceback)."""
        try:
            return call()
        except DirectorError as error:
            refusals.info("%s refused: %s", endpoint or "call", one_line(str(error)))
            raise gr.Error(protocol.encode_error(error), print_exception=False) from None
        except Exception as error:
            log.error("%s failed", endpoint or "call", exc_info=error)
            bug = DirectorError(f"the server failed on /{endpoint}: {type(error).__name__}",
                                hint="the server log has the details; restart the server if it persists")
            raise gr.Error(protocol.encode_error(bug), print_exception=False) from None
