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

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..common import protocol
from ..common.addresses import DEFAULT_URL
from ..common.durations import check_seconds
from ..common.enums import MediaInput, ModelCategory, TaskKind
from ..common.errors import (
    DirectorError,
    DownloadCutError,
    InvalidRequestError,
    InvalidSettingsError,
    ServerReplyError,
)
from ..common.extra_settings import allowed_extra_keys, check_extra_keys
from ..common.job_lookup import JobLookup
from ..common.media_check import check_media_file
from ..common.messages import CancelReply, GenerateRequest, JobResult, LoraList, ServerJobRecord
from ..common.model_info import ModelInfo
from ..common.settings import GenerationSettings, SimulationOptions, parse_settings
from .attached_job import AttachedJob
from .clip_download import DownloadBroke
from .connection import ServerConnection
from .connection import parse_reply as _parse
from .job import GenerationJob


class Wan2GPClient(ServerConnection):
    """A Director server's models, LoRAs and jobs, and sending generations to it (the connection
    itself, its retries and its status: ServerConnection). Construction does no I/O; `connect()` does."""

    # ------------------------------------------------------------ discovery

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
        if not file_out:
            return lookup, None
        try:
            return lookup, self.fetch_file(file_out)
        except ValueError as exc:
            raise ServerReplyError(f"{protocol.JOB_RESULT}: {exc}") from None
        except DownloadBroke as exc:  # the server keeps the clip: asking again fetches it again
            raise DownloadCutError(job_id, str(exc)) from None

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
