"""Wan2GPClient: the typed, non-blocking client of the Director server.

    from blender_movie_director.client.wan2gp_client import get_wan2gp_client
    with get_wan2gp_client("http://127.0.0.1:7860") as client:
        job = client.submit({"model_type": "t2v_1.3B", "prompt": "a red fox in snow", "video_length": 33})
        while not job.done():
            print(job.status().phase_label)            # never blocks
        clip = job.result(timeout=600)                  # JobResult, clip.video_path on local disk

Every bad input raises InvalidSettingsError naming the field before anything is sent.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..common import hints, protocol
from ..common.addresses import DEFAULT_URL, credentials_from_env
from ..common.durations import check_seconds
from ..common.enums import MediaInput, ModelCategory, TaskKind
from ..common.errors import (
    ApiMismatchError,
    DirectorError,
    InvalidRequestError,
    InvalidSettingsError,
    LoginError,
    ServerReplyError,
    ServerUnavailableError,
)
from ..common.extra_settings import allowed_extra_keys, check_extra_keys
from ..common.job_lookup import JobLookup
from ..common.media_check import check_media_file
from ..common.messages import (
    API_VERSION,
    CancelReply,
    GenerateRequest,
    JobResult,
    LoraList,
    ServerJobRecord,
    ServerStatus,
)
from ..common.model_info import ModelInfo
from ..common.settings import GenerationSettings, SimulationOptions, parse_settings
from .attached_job import AttachedJob
from .clip_store import remove_download_folder
from .gradio_refusals import typed_error_of
from .job import GenerationJob, _file_path
from .transport import is_transport_error, open_gradio_client, probe, quick_status

SMALL_CALL_TIMEOUT = 15.0  # status, models, cancel: answers in milliseconds on a healthy server
RETRY_PAUSES = (0.2, 0.6)  # seconds before the 2nd and 3rd try of a small call


class Wan2GPClient:
    """One connection to one Director server. Construction does no I/O; `connect()` does."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        output_dir: str | Path | None = None,
        connect_timeout: float = 2.0,
        auth: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        client_id: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.output_dir = Path(output_dir) if output_dir else Path.cwd() / "director_clips"
        self.connect_timeout = connect_timeout
        self._auth = auth or credentials_from_env()
        # who this client is to the server (its jobs are its own): random unless the caller keeps one,
        # e.g. an add-on session that reconnects, or a journal that follows its jobs after a restart
        self.client_id = client_id or protocol.new_client_id()
        if not re.fullmatch(protocol.CLIENT_ID_PATTERN, self.client_id):
            raise InvalidRequestError("client_id", "must be 16–64 letters, digits, - or _")
        self._user_headers = headers
        self._headers = {**(headers or {}), protocol.CLIENT_ID_HEADER: self.client_id}
        self._status: ServerStatus | None = None
        self._gradio: Any = None
        self._download_dir: str | None = None
        self._models: dict[str, ModelInfo] | None = None
        self._quick_status = True  # the server answers /server_status to a plain POST (until it does not)

    def __enter__(self) -> Wan2GPClient:
        if not self.connected:
            self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Wan2GPClient {self.url} {'connected' if self.connected else 'not connected'}>"

    # ------------------------------------------------------------ connection

    @property
    def connected(self) -> bool:
        return self._gradio is not None

    def connect(self) -> ServerStatus:
        """Probe the server fast, open the job connection, check the API. Returns its status."""
        # one plain request is both the fast probe and the status (a login goes the long way: gradio logs in)
        quick = quick_status(self.url, self.connect_timeout, self._headers) if self._auth is None else None
        if quick is None:
            answered = probe(self.url, self.connect_timeout,
                             logged_in=self._auth is not None or bool(self._user_headers))
            if self._auth is not None and answered < 400:
                raise LoginError(self.url, "This server has no login, but a user and password were given",
                                 hint=hints.hint("no_login"))
        self._download_dir = tempfile.mkdtemp(prefix="bmd-download-")
        self._gradio = open_gradio_client(self.url, self._download_dir, auth=self._auth, headers=self._headers)
        try:
            named = set(self._gradio.view_api(print_info=False, return_format="dict")["named_endpoints"])
            missing = [e for e in protocol.REQUIRED_ENDPOINTS if e not in named]
            if missing:
                looks_like = " (it looks like Wan2GP's own web UI)" if "/process_tasks" in named else ""
                raise ApiMismatchError(self.url, f"missing endpoints {', '.join(missing)}{looks_like}")
            status = self._status = (_parse(ServerStatus, _json_or_none(quick), protocol.SERVER_STATUS)
                                     if quick is not None else self.server_status())
            if status.api_version.split(".")[0] != API_VERSION.split(".")[0]:
                raise ApiMismatchError(self.url, f"server API {status.api_version}, this client needs {API_VERSION}")
        except BaseException:
            self.close()
            raise
        return status

    def close(self) -> None:
        """Stop the connection's background threads and remove its download folder."""
        gradio, self._gradio = self._gradio, None
        if gradio is not None:
            try:
                gradio.close()
            except Exception:  # closing a client to a dead server is not worth an error
                pass
        if self._download_dir:
            remove_download_folder(Path(self._download_dir))  # a clip no folder could take stays (told where)
            self._download_dir = None

    def is_alive(self, timeout: float | None = None) -> bool:
        """A fresh health probe (a separate short request; never waits behind jobs)."""
        try:
            probe(self.url, timeout or self.connect_timeout, logged_in=True)  # any HTTP answer is alive
        except ServerUnavailableError:
            return False
        return True

    def _require(self) -> Any:
        if self._gradio is None:
            self.connect()
        return self._gradio

    def _call(self, endpoint: str, *args: Any) -> str:
        """A small, idempotent endpoint: typed errors, a bounded wait, and a retry or two with
        backoff when the connection drops (never used for /generate: that would make a second clip)."""
        for _attempt, pause in enumerate((*RETRY_PAUSES, None)):
            try:
                return self._call_once(endpoint, *args)
            except ServerUnavailableError:
                if pause is None:
                    raise
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _call_once(self, endpoint: str, *args: Any) -> str:
        import httpx
        from gradio_client.exceptions import AppError

        job = self._require().submit(*args, api_name=endpoint)
        try:
            return job.result(timeout=SMALL_CALL_TIMEOUT)
        except TimeoutError:
            raise ServerUnavailableError(self.url, f"{endpoint} did not answer within {SMALL_CALL_TIMEOUT:g} s",
                                         hint="the server is hung or overloaded: restart it") from None
        except AppError as exc:
            raise typed_error_of(exc, endpoint=endpoint) or ServerReplyError(f"{endpoint}: {exc}") from None
        except Exception as exc:
            typed = typed_error_of(exc, endpoint=endpoint) if isinstance(exc, httpx.HTTPStatusError) else None
            if typed is not None:  # refused before the endpoint ran (e.g. too many calls: HTTP 429)
                raise typed from None
            if is_transport_error(exc) or isinstance(exc, (KeyError, concurrent.futures.CancelledError)):
                raise ServerUnavailableError(self.url, f"{type(exc).__name__} during {endpoint}") from None
            raise

    def _call_json(self, endpoint: str, *args: Any) -> Any:
        text = self._call(endpoint, *args)
        try:
            return json.loads(text)
        except (TypeError, json.JSONDecodeError):
            raise ServerReplyError(f"{endpoint} returned non-JSON: {str(text)[:200]}") from None

    # ------------------------------------------------------------ discovery

    def server_status(self) -> ServerStatus:
        """One plain request where the server offers it (a few ms), else a queued call (gradio_client
        collects those in 50 ms polls: a job manager's worker waited ~100 ms on each)."""
        if self._auth is None and self._quick_status:
            text = quick_status(self.url, SMALL_CALL_TIMEOUT, self._headers)
            if text is not None:
                return _parse(ServerStatus, _json_or_none(text), protocol.SERVER_STATUS)
            self._quick_status = False  # not offered (an older server): the queued call from now on
        return _parse(ServerStatus, self._call_json(protocol.SERVER_STATUS), protocol.SERVER_STATUS)

    def list_models(self, *, refresh: bool = False) -> list[ModelInfo]:
        if self._models is None or refresh:
            data = self._call_json(protocol.MODELS)
            if not isinstance(data, list):
                raise ServerReplyError(f"{protocol.MODELS} returned {type(data).__name__}, not a list")
            self._models = {m.id: m for m in (_parse(ModelInfo, item, protocol.MODELS) for item in data)}
        return list(self._models.values())

    def get_model(self, model_type: str) -> ModelInfo:
        models = {m.id: m for m in self.list_models()}
        if model_type not in models:
            raise InvalidSettingsError(
                "model_type", f"unknown model '{model_type}'",
                hint=f"choose one of {', '.join(sorted(models)[:12])}{' …' if len(models) > 12 else ''}",
            )
        return models[model_type]

    def model_defaults(self, model_type: str) -> dict[str, Any]:
        self.get_model(model_type)
        data = self._call_json(protocol.MODEL_DEFAULTS, model_type)
        if not isinstance(data, dict):
            raise ServerReplyError(f"{protocol.MODEL_DEFAULTS} returned {type(data).__name__}")
        return data

    def list_loras(self, model_type: str) -> LoraList:
        self.get_model(model_type)
        return _parse(LoraList, self._call_json(protocol.LORAS, model_type), protocol.LORAS)

    def cancel_job(self, job_id: str) -> CancelReply:
        """Ask the server to stop a job (running: the engine stops; queued: it never starts)."""
        return _parse(CancelReply, self._call_json(protocol.CANCEL, job_id), protocol.CANCEL)

    def job_result(self, job_id: str) -> tuple[JobLookup, Path | None]:
        """How a job stands on the server, by id; for a finished one also its clip, downloaded (the
        path is in this client's download folder: keep it with clip_store, or use attach())."""
        outputs: Any = self._call(protocol.JOB_RESULT, job_id)
        try:
            file_out, text = outputs
            lookup = JobLookup.model_validate_json(text)
        except (TypeError, ValueError) as exc:
            raise ServerReplyError(f"{protocol.JOB_RESULT} returned {type(outputs).__name__}: {str(exc)[:300]}") from None
        return lookup, (Path(_file_path(file_out)) if file_out else None)

    def attach(self, job_id: str, settings: GenerationSettings, *, output_dir: str | Path | None = None,
               submitted_at: float | None = None) -> AttachedJob:
        """Follow a job this client sent earlier (or another session did) by asking the server about it:
        a finished clip is fetched, not rendered again."""
        return AttachedJob(self, job_id, settings, Path(output_dir) if output_dir else self.output_dir,
                           submitted_at=submitted_at)

    def server_jobs(self) -> list[ServerJobRecord]:
        """The server's own record of recent jobs (what ran, when, how it ended)."""
        return [_parse(ServerJobRecord, item, protocol.JOBS) for item in self._call_json(protocol.JOBS)]

    def pick_model(self, category: ModelCategory, task: TaskKind = TaskKind.TEXT_TO_VIDEO) -> ModelInfo:
        for model in self.list_models():
            if model.category is category and task in model.tasks and model.available:
                return model
        raise InvalidSettingsError("model_type", f"the server offers no available {category.value} {task.value} model")

    # ------------------------------------------------------------ generation

    def validate(self, settings: GenerationSettings | Mapping[str, Any]) -> GenerationSettings:
        """Check settings against the chosen model and fill its defaults; nothing is sent."""
        parsed = parse_settings(dict(settings) if isinstance(settings, Mapping) else settings)
        resolved = parsed.resolved_for(self.get_model(parsed.model_type))
        limit = self._status.max_upload_bytes if self._status else None
        for media, path in resolved.media().items():
            check_media_file(media, path, max_bytes=limit)
        for path in resolved.image_refs_more:  # further reference images: checked like the first
            check_media_file(MediaInput.IMAGE_REFS, path, max_bytes=limit)
        if resolved.extra:  # only the model's own settings (the server checks the same)
            check_extra_keys(resolved.extra, allowed_extra_keys(self.model_defaults(resolved.model_type),
                                                                GenerationSettings.model_fields), resolved.model_type)
        if resolved.activated_loras:
            known = set(self.list_loras(resolved.model_type).loras)
            unknown = [name for name in resolved.activated_loras if name not in known]
            if unknown:
                raise InvalidSettingsError("activated_loras", f"not on the server: {', '.join(unknown)}",
                                           hint="list them with list_loras(model_type)")
        return resolved

    def submit(
        self,
        settings: GenerationSettings | Mapping[str, Any],
        *,
        output_dir: str | Path | None = None,
        simulation: SimulationOptions | Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> GenerationJob:
        """Validate, upload media, queue the job; returns at once with a GenerationJob. `job_id` (8–64
        letters, digits, - or _) names the job on the server: choose it before sending to be able to
        ask about the job later (attach) whatever happens to this connection."""
        from gradio_client import handle_file

        parsed = parse_settings(dict(settings) if isinstance(settings, Mapping) else settings)
        if parsed.finish is not None:  # upscale, smooth or add sound: the server's /finish
            from .finishing import submit_finish

            return submit_finish(self, parsed, output_dir=Path(output_dir) if output_dir else self.output_dir,
                                 simulation=simulation, job_id=job_id or new_job_id())
        resolved = self.validate(parsed)
        request = self._request(resolved, job_id or new_job_id(), simulation)
        job_id = request.job_id
        media = resolved.media()
        files = [handle_file(str(media[MediaInput(slot)])) if MediaInput(slot) in media else None
                 for slot in protocol.MEDIA_SLOTS]
        if resolved.image_refs_more:  # a cast of several: /generate plus their upload
            more = [handle_file(str(path)) for path in resolved.image_refs_more]
            gradio_job = self._require().submit(request.model_dump_json(), *files, more,
                                                api_name=protocol.GENERATE_WITH_REFERENCES)
        else:
            gradio_job = self._require().submit(request.model_dump_json(), *files, api_name=protocol.GENERATE)
        return GenerationJob(self, job_id, resolved, gradio_job, Path(output_dir) if output_dir else self.output_dir)

    def _request(self, resolved: GenerationSettings, job_id: str,
                 simulation: SimulationOptions | Mapping[str, Any] | None) -> GenerateRequest:
        """The /generate request, checked as the server will check it (InvalidRequestError otherwise)."""
        try:
            if simulation is not None and not isinstance(simulation, SimulationOptions):
                simulation = SimulationOptions.model_validate(dict(simulation))
        except (ValidationError, TypeError, ValueError) as exc:
            raise _request_error(exc, "simulation") from None
        try:
            request = GenerateRequest(job_id=job_id, settings=resolved.without_media(), simulation=simulation)
        except ValidationError as exc:
            raise _request_error(exc, "") from None
        if request.simulation is not None and self._status is not None and not self._status.test_controls:
            raise InvalidRequestError(
                "simulation", "fault injection and test pacing are refused: this server was not started for tests",
                hint="leave `simulation` out; test suites start their server with --allow-test-controls")
        return request

    def generate(self, settings: GenerationSettings | Mapping[str, Any], *, timeout: float | None = None,
                 **submit_options: Any) -> JobResult:
        """submit() and wait for the clip."""
        return self.submit(settings, **submit_options).result(timeout)

    def generate_quick_video(self, prompt: str, *, seconds: float | None = None, timeout: float | None = None,
                             **settings: Any) -> JobResult:
        """A fast draft: the server's first fast text-to-video model, its default steps."""
        return self._generate_with(ModelCategory.FAST, prompt, seconds, timeout, settings)

    def generate_high_quality_video(self, prompt: str, *, seconds: float | None = None,
                                    timeout: float | None = None, **settings: Any) -> JobResult:
        """A final-quality shot: the server's first high-quality text-to-video model."""
        return self._generate_with(ModelCategory.HIGH_QUALITY, prompt, seconds, timeout, settings)

    def _generate_with(self, category: ModelCategory, prompt: str, seconds: float | None,
                       timeout: float | None, settings: dict[str, Any]) -> JobResult:
        model = self.get_model(settings["model_type"]) if "model_type" in settings else self.pick_model(category)
        if seconds is not None:  # finite, positive and within what the model makes (never silently clamped)
            settings["video_length"] = check_seconds(model, seconds)
        submit_options = {k: settings.pop(k) for k in ("output_dir", "simulation") if k in settings}
        return self.generate({**settings, "model_type": model.id, "prompt": prompt}, timeout=timeout,
                             **submit_options)


def new_job_id() -> str:
    return uuid.uuid4().hex[:16]


def _request_error(exc: Exception, prefix: str) -> InvalidRequestError:
    """A request field refused before sending, named like the server names it (simulation.step_seconds)."""
    if not isinstance(exc, ValidationError):
        return InvalidRequestError(prefix or "request", str(exc)[:200])
    first = exc.errors()[0]
    field = ".".join([prefix, *(str(part) for part in first["loc"])] if prefix else [str(p) for p in first["loc"]])
    return InvalidRequestError(field or prefix or "request", str(first["msg"]).removeprefix("Value error, "))


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _parse(model: type[BaseModel], data: Any, endpoint: str) -> Any:
    try:
        return model.model_validate(data)
    except ValueError as exc:
        raise ServerReplyError(f"{endpoint}: {str(exc)[:300]}") from None


def get_wan2gp_client(url: str = DEFAULT_URL, **options: Any) -> Wan2GPClient:
    """A connected client (raises ServerUnavailableError in well under a second if nobody is there)."""
    client = Wan2GPClient(url, **options)
    client.connect()
    return client


def generate_quick_video(prompt: str, *, url: str = DEFAULT_URL, **options: Any) -> JobResult:
    """One-shot helper for scripts and Blender's console: connect, generate a fast draft, close."""
    with Wan2GPClient(url, output_dir=options.pop("output_dir", None)) as client:
        return client.generate_quick_video(prompt, **options)


def generate_high_quality_video(prompt: str, *, url: str = DEFAULT_URL, **options: Any) -> JobResult:
    with Wan2GPClient(url, output_dir=options.pop("output_dir", None)) as client:
        return client.generate_high_quality_video(prompt, **options)


__all__ = [
    "DEFAULT_URL", "DirectorError", "GenerationJob", "Wan2GPClient", "generate_high_quality_video",
    "generate_quick_video", "get_wan2gp_client",
]
