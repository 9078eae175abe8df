"""Fake of Wan2GP's in-process API (shared/api.py), for tests without a GPU or model weights.

Faithful to deepbeepmeep/Wan2GP at commit 8681e9f777f9f847f74a0bdefd13d5b9a6efe12d (WanGP 12.60,
2026-08-21), as read there and as recorded (recording/, from the project's reference recording):
  * the same public names and signatures (tests/unit/test_fake_wan2gp_signatures.py compares them
    with a real shared/api.py when one is on the machine);
  * the same catalog: every recorded model's metadata, schema and full default settings
    (../wgp.py serves them; availability comes from ckpts/);
  * the same frozen dataclasses, field names and defaults;
  * the same events in the recorded order and shape: `started` {'tasks': n} first, then status /
    progress / stream / output / error …, exactly one `completed` GenerationResult last, then the
    stream closes; callbacks get `on_<kind>` and `on_event` as the real _emit_callback gives them
    (kind "complete", not "completed"; no callback for `started` or `refresh_models`);
  * the same error shapes: a generation failure is GenerationError(stage='generation', task_index=1,
    task_id=1), a refused task stage='validation', an unknown model_type stage='runtime' with
    task_index None and failed_tasks 0, cancel appends GenerationError('Generation was cancelled',
    stage='cancelled'); missing weights give the Hugging Face "locate the file on the Hub" message;
  * the same synchronous raises: RuntimeError("WanGP session already has a generation in progress"),
    TypeError/ValueError from settings normalisation, ValueError("Unknown model_type: …") from
    get_default_settings / list_loras / get_model_availability, None from get_model_schema;
  * the same progress reading: phase normalised from the callback's label (so "Denoising First
    Phase" is plain "inference", as in the real _normalize_phase, which looks for "first pass");
  * one runtime per process (RuntimeError on a different root/config/cli_args), wgp imported with the
    working directory at root and sys.argv = ["wgp.py", *cli_args].
Written for these tests, not copied: only the interface and the recorded data are Wan2GP's. No web
UI bridge (the create_gradio_* functions raise), no post-processing models, no tensors in results.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import io
import math
import os
import queue
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

_RUNTIME_LOCK = threading.RLock()
_GENERATION_LOCK = threading.RLock()
_RUNTIME: "_WanGPRuntime | None" = None
_BANNER_PRINTED = False
_SECONDS = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*s\s*$", re.IGNORECASE)
_COUNTER_PREFIX = re.compile(r"^(?:prompt|sample|sliding window|window|chunk|task|step|phase|pass)\s+\d+\s*/\s*\d+\s*,?\s*",
                             re.IGNORECASE)
_TIME_ONLY = re.compile(r"^[\d:.\s/]+[smh]?$", re.IGNORECASE)


# ---------------------------------------------------------------- settings helpers


def _has_media(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple)):
        return any(_has_media(item) for item in value)
    return value is not None


def _choice_values(choice_def: Any) -> list[str]:
    choices = (choice_def or {}).get("choices", []) if isinstance(choice_def, dict) else []
    return [str(c.get("value", "") if isinstance(c, dict) else c[1] if isinstance(c, (list, tuple)) else c)
            for c in choices]


def apply_media_flag_defaults(settings: dict[str, Any], model_def: dict[str, Any]) -> dict[str, str]:
    """Add the prompt-type letters the given media imply, when the model allows them."""
    inferred: dict[str, str] = {}
    allowed = str(model_def.get("image_prompt_types_allowed", "") or "")
    flags = str(settings.get("image_prompt_type", "") or "")
    if not any(letter in flags for letter in "SVL"):
        if _has_media(settings.get("video_source")) and "V" in allowed:
            flags += "V"
        elif _has_media(settings.get("image_start")) and "S" in allowed:
            flags += "S"
    if _has_media(settings.get("image_end")) and "E" in allowed and "E" not in flags:
        flags += "E"
    if flags != str(settings.get("image_prompt_type", "") or ""):
        settings["image_prompt_type"] = inferred["image_prompt_type"] = flags
    video_flags = str(settings.get("video_prompt_type", "") or "")
    if _has_media(settings.get("image_refs")) and "I" not in video_flags:
        mode = next((v for v in _choice_values(model_def.get("image_ref_choices")) if "I" in v), "")
        if mode:
            video_flags += "".join(letter for letter in mode if letter not in video_flags)
            settings["video_prompt_type"] = inferred["video_prompt_type"] = video_flags
    audio_flags = str(settings.get("audio_prompt_type", "") or "")
    if _has_media(settings.get("audio_guide")) or _has_media(settings.get("audio_guide2")):
        needed = "B" if _has_media(settings.get("audio_guide2")) else "A"
        mode = next((v for v in _choice_values(model_def.get("audio_prompt_type_sources")) if needed in v), "")
        if mode and needed not in audio_flags:
            audio_flags += "".join(letter for letter in mode if letter not in audio_flags)
            settings["audio_prompt_type"] = inferred["audio_prompt_type"] = audio_flags
    return inferred


def _snap_frames(frames: int, minimum: int, step: int) -> int:
    frames = max(minimum, frames)
    if step <= 1:
        return frames
    below = minimum + (frames - minimum) // step * step
    above = below if below == frames else below + step
    return below if frames - below <= above - frames else above


def apply_video_length_duration(settings: dict[str, Any], model_def: dict[str, Any]) -> dict[str, Any] | None:
    """video_length "10s" → frames on the model's grid; None when it is not a seconds string."""
    raw = settings.get("video_length")
    if not isinstance(raw, str) or not raw.strip().lower().endswith("s"):
        return None
    match = _SECONDS.fullmatch(raw)
    if match is None:
        raise ValueError("video_length seconds must use a positive value such as '10s' or '5.5s'")
    seconds = float(match.group(1))
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("video_length seconds must be greater than zero")
    fps = None
    force = settings.get("force_fps")
    with contextlib.suppress(TypeError, ValueError):
        fps = float(force) if force not in (None, "") and not isinstance(force, bool) else None
    fps = fps or float(model_def.get("fps", 16) or 16)
    frames = _snap_frames(int(round(seconds * fps)), model_def.get("frames_minimum", 5) or 5,
                          model_def.get("frames_steps", 4) or 4)
    settings["video_length"] = frames
    return {"input": raw, "seconds": seconds, "fps": fps, "frames": frames}


def extract_status_phase_label(text: str | None) -> str:
    """"Prompt 1/1 | Denoising | 0:03 / 0:09" → "Denoising"."""
    raw = str(text or "").strip()
    if not raw:
        return ""
    stripped = False
    for part in [p.strip() for p in raw.split("|") if p.strip()] or [raw]:
        cleaned = re.sub(r"^\[\s*\d+\s*/\s*\d+\s*\]\s*", "", part)
        cleaned = _COUNTER_PREFIX.sub("", cleaned).lstrip(" -:,").strip()
        stripped = stripped or cleaned != part
        if cleaned and not _TIME_ONLY.fullmatch(cleaned):
            return cleaned
    return "" if stripped else raw


# ---------------------------------------------------------------- events and results


@dataclass(frozen=True)
class StreamMessage:
    stream: str
    text: str


@dataclass(frozen=True)
class ProgressUpdate:
    phase: str
    status: str
    progress: int
    current_step: int | None
    total_steps: int | None
    raw_phase: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class PreviewUpdate:
    image: Any | None
    phase: str
    status: str
    progress: int
    current_step: int | None
    total_steps: int | None


@dataclass(frozen=True)
class SessionEvent:
    kind: str
    data: Any = None
    timestamp: float = field(default_factory=time.time)


@dataclass(frozen=True)
class GeneratedArtifact:
    path: str | None
    media_type: str
    client_id: str = ""
    video_tensor_uint8: Any = None
    video_tensor_hdr: Any = None
    hdr: bool = False
    audio_tensor: Any = None
    audio_sampling_rate: int | None = None
    fps: float | None = None
    flashvsr_continue_cache: Any = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, default_client_id: str = "") -> "GeneratedArtifact | None":
        if not isinstance(payload, dict):
            return None
        return cls(path=str(payload.get("path") or "") or None, media_type=str(payload.get("media_type") or "video"),
                   client_id=str(payload.get("client_id") or default_client_id or "").strip(),
                   fps=payload.get("fps"), audio_sampling_rate=payload.get("audio_sampling_rate"),
                   hdr=bool(payload.get("hdr", False)))


@dataclass(frozen=True)
class GenerationResult:
    success: bool
    generated_files: list[str]
    errors: list["GenerationError"]
    total_tasks: int
    successful_tasks: int
    failed_tasks: int
    artifacts: tuple[GeneratedArtifact, ...] = ()

    @property
    def cancelled(self) -> bool:
        return bool(self.errors) and all(error.cancelled for error in self.errors)


@dataclass(frozen=True)
class GenerationError:
    message: str
    task_index: int | None = None
    task_id: Any = None
    stage: str | None = None

    def __str__(self) -> str:
        return self.message

    @property
    def cancelled(self) -> bool:
        return str(self.stage or "").strip().lower() == "cancelled" or \
            str(self.message or "").strip().lower() == "generation was cancelled"


def get_api_output_options(plugin_data: Any) -> tuple[bool, bool]:
    options = plugin_data.get("api", {}) if isinstance(plugin_data, dict) else {}
    if not isinstance(options, dict):
        return False, False
    media = bool(options.get("return_media"))
    return bool(options.get("return_video_uint8")) or media, bool(options.get("return_audio")) or media


def build_api_output_artifact_payload(client_id: str, video_path: Any, media_type: str, output_video_frames: Any, output_audio_data: Any, output_audio_sampling_rate: Any, output_fps: Any, *, hdr: bool = False, flashvsr_continue_cache: Any = None) -> dict[str, Any] | None:
    client_id = str(client_id or "").strip()
    if not client_id:
        return None
    path = video_path[0] if isinstance(video_path, list) and video_path else video_path
    return {"client_id": client_id, "path": str(path or ""), "media_type": str(media_type or "video"),
            "video_tensor_uint8": None, "video_tensor_hdr": None, "hdr": bool(hdr), "audio_tensor": None,
            "audio_sampling_rate": int(output_audio_sampling_rate) if output_audio_sampling_rate else None,
            "fps": float(output_fps) if output_fps else None, "flashvsr_continue_cache": flashvsr_continue_cache}


def store_api_output_artifact(gen: dict[str, Any], client_id: str, video_path: Any, media_type: str, output_video_frames: Any, output_audio_data: Any, output_audio_sampling_rate: Any, output_fps: Any, *, hdr: bool = False, flashvsr_continue_cache: Any = None) -> bool:
    payload = build_api_output_artifact_payload(client_id, video_path, media_type, output_video_frames,
                                                output_audio_data, output_audio_sampling_rate, output_fps, hdr=hdr,
                                                flashvsr_continue_cache=flashvsr_continue_cache)
    if payload is None:
        return False
    gen.setdefault("api_output_artifacts", {})[payload["client_id"]] = payload
    return True


class SessionStream:
    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._closed = threading.Event()
        self._end = object()

    def put(self, kind: str, data: Any = None) -> None:
        if not self._closed.is_set():
            self._queue.put(SessionEvent(kind=kind, data=data))

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._queue.put(self._end)

    def clear(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        if self._closed.is_set():
            self._queue.put(self._end)

    def get(self, timeout: float | None = None) -> SessionEvent | None:
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return None if item is self._end else item

    def iter(self, timeout: float | None = None) -> Iterator[SessionEvent]:
        """Every event until the stream closes (timeout is only how often it looks)."""
        while True:
            event = self.get(timeout=timeout)
            if event is not None:
                yield event
            elif self._closed.is_set():
                return

    @property
    def closed(self) -> bool:
        return self._closed.is_set()


class _LineCapture(io.TextIOBase):
    """stdout/stderr of a job: each line becomes a `stream` event, and still reaches the console."""

    def __init__(self, name: str, emit, console) -> None:
        self._name, self._emit, self._console, self._pending = name, emit, console, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._console is not None:
            self._console.write(text)
        self._pending += text
        *lines, self._pending = re.split(r"[\r\n]", self._pending)
        for line in lines:
            if line:
                self._emit(self._name, line)
        return len(text)

    def flush(self) -> None:
        if self._console is not None:
            self._console.flush()
        if self._pending:
            self._emit(self._name, self._pending)
            self._pending = ""


@dataclass(frozen=True)
class _WanGPRuntime:
    module: Any
    root: Path
    config_path: Path
    cli_args: tuple[str, ...]


class SessionJob:
    def __init__(self, session: "WanGPSession") -> None:
        self._session = session
        self._callbacks: object | None = None
        self.events = SessionStream()
        self._done = threading.Event()
        self._cancel_requested = threading.Event()
        self._result: GenerationResult | None = None

    def release_input_payload(self) -> None:
        pass

    def release_output_payload(self) -> None:
        self._result = None
        self.events.clear()

    def cancel(self) -> None:
        self._cancel_requested.set()

    def result(self, timeout: float | None = None) -> GenerationResult:
        if not self._done.wait(timeout=timeout):
            raise TimeoutError("WanGP session job timed out")
        return self._result or GenerationResult(False, [], [], 0, 0, 0, ())

    def join(self, timeout: float | None = None) -> GenerationResult:
        return self.result(timeout=timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested.is_set()

    @property
    def webui_manifest(self) -> list[dict[str, Any]]:
        return []

    @property
    def webui_client_ids(self) -> tuple[str, ...]:
        return ()

    @property
    def primary_client_id(self) -> str:
        return ""

    @property
    def webui_load_queue_token(self) -> str:
        return ""

    @property
    def webui_submission_ready(self) -> bool:
        return False

    @property
    def webui_owner_call_id(self) -> str:
        return ""

    def _finish(self, result: GenerationResult) -> None:
        self._result = result
        self._done.set()


class WanGPSession:
    def __init__(self, *, root: str | os.PathLike[str] | None = None, config_path: str | os.PathLike[str] | None = None, output_dir: str | os.PathLike[str] | None = None, callbacks: object | None = None, cli_args: Sequence[str] = (), console_output: bool = True, console_isatty: bool = True, webui_state: dict[str, Any] | None = None) -> None:
        self._root = Path(root or Path(__file__).resolve().parents[1]).resolve()
        self._config_path = Path(config_path).resolve() if config_path is not None else self._root / "wgp_config.json"
        self._output_dir = Path(output_dir).resolve() if output_dir is not None else None
        self._callbacks = callbacks
        self._cli_args = tuple(str(arg) for arg in cli_args)
        self._console_output = bool(console_output)
        self._state = webui_state if isinstance(webui_state, dict) else {
            "model_type": "", "gen": {"queue": [], "file_list": [], "file_settings_list": [], "audio_file_list": [],
                                      "audio_file_settings_list": [], "prompt_no": 0, "prompts_max": 0,
                                      "progress_status": "", "api_output_artifacts": {}}, "loras": []}
        self._active_job: SessionJob | None = None
        self._job_lock = threading.Lock()

    def ensure_ready(self) -> "WanGPSession":
        self._runtime()
        return self

    # ------------------------------------------------------------ discovery

    def list_model_defs(self, *, family: str | Sequence[str] | None = None, base_model_type: str | Sequence[str] | None = None, finetune: bool | str | None = None, model_type: str | Sequence[str] | None = None, main_output: str | Sequence[str] | None = None, inputs: str | Sequence[str] | None = None, name: str | Sequence[str] | None = None, query: str | None = None, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        wgp = self._runtime().module
        records = wgp.list_model_defs(family=family, base_model_type=base_model_type, finetune=finetune,
                                      model_type=model_type, main_output=main_output, inputs=inputs)
        if name:
            import fnmatch
            patterns = [str(n).casefold() for n in (name if isinstance(name, (list, tuple)) else [name])]
            records = [r for r in records if any(fnmatch.fnmatchcase(str(r.get("name", "")).casefold(), p)
                                                 for p in patterns)]
        if query:
            text = str(query).casefold()
            records = [r for r in records if text in " ".join(str(v or "") for v in (
                r["model_type"], r.get("name"), r.get("description"), r.get("metadata", {}).get("family"),
                r.get("metadata", {}).get("family_label"), r.get("metadata", {}).get("base_model_type"))).casefold()]
        start = max(0, int(offset or 0))
        return records[start:] if limit is None else records[start:start + max(1, min(int(limit), 500))]

    def get_model_defs(self, **filters: Any) -> list[dict[str, Any]]:
        return self.list_model_defs(**filters)

    def list_model_metadata(self, include_availability: bool = False, **filters: Any) -> list[dict[str, Any]]:
        records = []
        for model_def in self.list_model_defs(**filters):
            metadata = copy.deepcopy(model_def.get("metadata", {}))
            metadata.setdefault("model_type", model_def["model_type"])
            metadata["name"] = model_def.get("name", metadata["model_type"])
            if include_availability:
                metadata["availability"] = self._availability(metadata["model_type"])
            records.append(metadata)
        return records

    def get_model_def(self, model_type: str) -> dict[str, Any] | None:
        model_def = self._runtime().module.get_model_def(model_type)
        if model_def is None:
            return None
        return {**copy.deepcopy(model_def), "model_type": str(model_type)}

    def get_model_metadata(self, model_type: str, include_availability: bool = False) -> dict[str, Any] | None:
        model_def = self.get_model_def(model_type)
        if model_def is None:
            return None
        metadata = {**copy.deepcopy(model_def["metadata"]), "name": model_def.get("name", model_type)}
        if include_availability:
            metadata["availability"] = self._availability(model_type)
        return metadata

    def get_default_settings(self, model_type: str) -> dict[str, Any]:
        if self.get_model_def(model_type) is None:
            raise ValueError(f"Unknown model_type: {model_type}")
        settings = self._runtime().module.get_factory_settings(model_type)
        settings["model_type"] = str(model_type)
        return settings

    def merge_settings_with_defaults(self, settings: dict[str, Any]) -> dict[str, Any]:
        model_type = self._model_type_of(settings)
        merged = {**self.get_default_settings(model_type), **copy.deepcopy(settings)}
        merged["settings_version"] = self._runtime().module.settings_version
        merged["model_type"] = model_type
        return merged

    def prepare_settings_for_export(self, settings: dict[str, Any]) -> dict[str, Any]:
        model_type = self._model_type_of(settings)
        if self.get_model_def(model_type) is None:
            raise ValueError(f"Unknown model_type: {model_type}")
        return {k: v for k, v in copy.deepcopy(settings).items() if k != "state"}

    def get_exported_default_settings(self, model_type: str) -> dict[str, Any]:
        return self.prepare_settings_for_export(self.get_default_settings(model_type))

    def list_loras(self, model_type: str) -> dict[str, Any]:
        wgp = self._runtime().module
        with _pushd(self._root):
            model_def = wgp.get_model_def(model_type)
            if model_def is None:
                raise ValueError(f"Unknown model_type: {model_type}")
            if model_def.get("no_lora", False):
                return {"model_type": str(model_type), "supported": False, "loras": [], "count": 0}
            loras = wgp.setup_loras(model_type, None, wgp.get_lora_dir(model_type), "", None)[0]
        return {"model_type": str(model_type), "supported": True, "loras": list(loras), "count": len(loras)}

    def get_model_availability(self, model_type: str) -> dict[str, Any]:
        if self.get_model_def(model_type) is None:
            raise ValueError(f"Unknown model_type: {model_type}")
        return self._availability(model_type)

    def list_model_availability(self, **filters: Any) -> list[dict[str, Any]]:
        return [self._availability(record["model_type"]) for record in self.list_model_metadata(**filters)]

    def get_model_schema(self, model_type: str) -> dict[str, Any] | None:
        model_def = self.get_model_def(model_type)
        if model_def is None:
            return None
        metadata = copy.deepcopy(model_def["metadata"])
        metadata.pop("setting_values", None)
        metadata.update({"name": str(model_def.get("name", model_type)), "model_type": str(model_type),
                         "description": str(model_def.get("description", "") or ""), "fps": model_def.get("fps"),
                         "frames_minimum": model_def.get("frames_minimum"),
                         "frames_steps": model_def.get("frames_steps"),
                         "infos": str(model_def.get("infos", "") or ""),
                         "prompt_infos": str(model_def.get("prompt_infos", "") or ""),
                         "sliding_window": bool(model_def.get("sliding_window", False))})
        if "video" in metadata.get("outputs", []):
            metadata["frames_maximum"] = self._frames_maximum(model_type, model_def)
        return {"metadata": metadata}

    # ------------------------------------------------------------ jobs

    def submit(self, source: str | os.PathLike[str] | dict[str, Any] | list[dict[str, Any]], callbacks: object | None = None) -> SessionJob:
        if isinstance(source, (str, os.PathLike)):
            import json
            with open(source, encoding="utf-8") as handle:
                source = json.load(handle)
        if isinstance(source, dict) and isinstance(source.get("tasks"), list):
            source = source["tasks"]
        if isinstance(source, dict):
            return self.submit_task(source, callbacks=callbacks)
        if isinstance(source, list):
            return self.submit_manifest(source, callbacks=callbacks)
        raise TypeError("WanGP session source must be a path, a settings dict, or a manifest list")

    def submit_task(self, settings: dict[str, Any], callbacks: object | None = None) -> SessionJob:
        return self._submit([self._normalize_task(settings, 1)], callbacks)

    def submit_media_postprocessing(self, media_source: str | os.PathLike[str], *, temporal_upsampling: str = "", spatial_upsampling: str = "", film_grain_intensity: float = 0, film_grain_saturation: float = 0.5, seed: int = -1, api_options: dict[str, Any] | None = None, return_media: bool = False, callbacks: object | None = None, **settings_overrides: Any) -> SessionJob:
        return self.submit_task(build_media_postprocessing_settings(
            media_source, temporal_upsampling=temporal_upsampling, spatial_upsampling=spatial_upsampling,
            film_grain_intensity=film_grain_intensity, film_grain_saturation=film_grain_saturation, seed=seed,
            api_options=api_options, return_media=return_media, **settings_overrides), callbacks=callbacks)

    def submit_audio_remux(self, video_source: str | os.PathLike[str], *, postprocess_audio: str, audio_source: str | os.PathLike[str] | None = None, postprocess_audio_prompt: str = "", postprocess_audio_neg_prompt: str = "", seed: int = -1, repeat_generation: int = 1, replace_voice_sample: str | os.PathLike[str] | None = None, replace_voice_sample2: str | os.PathLike[str] | None = None, api_options: dict[str, Any] | None = None, return_media: bool = False, callbacks: object | None = None, **settings_overrides: Any) -> SessionJob:
        return self.submit_task(build_audio_remux_settings(
            video_source, postprocess_audio=postprocess_audio, audio_source=audio_source,
            postprocess_audio_prompt=postprocess_audio_prompt, postprocess_audio_neg_prompt=postprocess_audio_neg_prompt,
            seed=seed, repeat_generation=repeat_generation, replace_voice_sample=replace_voice_sample,
            replace_voice_sample2=replace_voice_sample2, api_options=api_options, return_media=return_media,
            **settings_overrides), callbacks=callbacks)

    def submit_audio_postprocessing(self, audio_source: str | os.PathLike[str], *, postprocess_audio: str, replace_voice_sample: str | os.PathLike[str] | None = None, replace_voice_sample2: str | os.PathLike[str] | None = None, api_options: dict[str, Any] | None = None, return_media: bool = False, callbacks: object | None = None, **settings_overrides: Any) -> SessionJob:
        return self.submit_task(build_audio_postprocessing_settings(
            audio_source, postprocess_audio=postprocess_audio, replace_voice_sample=replace_voice_sample,
            replace_voice_sample2=replace_voice_sample2, api_options=api_options, return_media=return_media,
            **settings_overrides), callbacks=callbacks)

    def submit_manifest(self, settings_list: list[dict[str, Any]], callbacks: object | None = None) -> SessionJob:
        return self._submit([self._normalize_task(s, i + 1) for i, s in enumerate(settings_list)], callbacks)

    def run(self, source: str | os.PathLike[str] | dict[str, Any] | list[dict[str, Any]], callbacks: object | None = None) -> GenerationResult:
        return self.submit(source, callbacks=callbacks).result()

    def run_task(self, settings: dict[str, Any], callbacks: object | None = None) -> GenerationResult:
        return self.submit_task(settings, callbacks=callbacks).result()

    def run_manifest(self, settings_list: list[dict[str, Any]], callbacks: object | None = None) -> GenerationResult:
        return self.submit_manifest(settings_list, callbacks=callbacks).result()

    def run_media_postprocessing(self, media_source: str | os.PathLike[str], **kwargs: Any) -> GenerationResult:
        return self.submit_media_postprocessing(media_source, **kwargs).result()

    def run_audio_remux(self, video_source: str | os.PathLike[str], **kwargs: Any) -> GenerationResult:
        return self.submit_audio_remux(video_source, **kwargs).result()

    def run_audio_postprocessing(self, audio_source: str | os.PathLike[str], **kwargs: Any) -> GenerationResult:
        return self.submit_audio_postprocessing(audio_source, **kwargs).result()

    def close(self) -> None:
        with _GENERATION_LOCK:
            self._runtime().module.release_model()

    def cancel(self) -> None:
        with self._job_lock:
            job = self._active_job
        if job is not None:
            job.cancel()

    # ------------------------------------------------------------ internals

    def _runtime(self) -> _WanGPRuntime:
        global _RUNTIME
        with _RUNTIME_LOCK:
            if _RUNTIME is not None:
                if (_RUNTIME.root, _RUNTIME.config_path, _RUNTIME.cli_args) != (self._root, self._config_path,
                                                                                self._cli_args):
                    raise RuntimeError("WanGP runtime already loaded with different root/config/cli args")
                return _RUNTIME
            if self._config_path.name != "wgp_config.json":
                raise ValueError("config_path must point to a file named 'wgp_config.json'")
            if str(self._root) not in sys.path:
                sys.path.insert(0, str(self._root))
            with _pushd(self._root), _argv(["wgp.py", *self._cli_args]):
                module = importlib.import_module("wgp")
                if Path(module.__file__).resolve().parent != self._root:
                    raise RuntimeError(f"WanGP module already loaded from {Path(module.__file__).parent}, "
                                       f"expected {self._root}")
                if getattr(module, "app", None) is None:
                    module.app = module.WAN2GPApplication()
                module.download_ffmpeg()
            _RUNTIME = _WanGPRuntime(module, self._root, self._config_path, self._cli_args)
            _print_banner_once(module, enabled=self._console_output)
            return _RUNTIME

    def _availability(self, model_type: str) -> dict[str, Any]:
        with _pushd(self._root):
            status = self._runtime().module.weights_status(model_type)
        label, indicator = {2: ("available", "blue_square"), 1: ("partial", "yellow_square")}.get(
            status, ("missing", "black_square"))
        return {"model_type": str(model_type), "status": label, "status_code": int(status), "indicator": indicator,
                "available": status == 2}

    def _frames_maximum(self, model_type: str, model_def: dict[str, Any]) -> int:
        handler_defaults: dict[str, Any] = {}
        self._runtime().module.get_model_handler(model_type).update_default_settings(
            model_def["architecture"], model_def, handler_defaults)
        if handler_defaults.get("sliding_window_size") is not None:
            return handler_defaults["sliding_window_size"]
        return _snap_frames(97, model_def.get("frames_minimum", 5) or 5, model_def.get("frames_steps", 4) or 4)

    @staticmethod
    def _model_type_of(settings: dict[str, Any]) -> str:
        if not isinstance(settings, dict):
            raise TypeError("settings must be a dictionary")
        model_type = str(settings.get("model_type", "") or "").strip()
        if not model_type:
            raise ValueError("settings must include model_type")
        return model_type

    def _normalize_task(self, settings: dict[str, Any], index: int) -> dict[str, Any]:
        if not isinstance(settings, dict):
            raise TypeError(f"Task {index} must be a dictionary")
        task = copy.deepcopy(settings)
        if "params" not in task:
            task = {"id": index, "params": task.pop("settings", task), "plugin_data": {}}
        task.setdefault("id", index)
        task.setdefault("plugin_data", {})
        params = task["params"]
        api_options = params.pop("_api", None)
        if isinstance(api_options, dict):
            task["plugin_data"]["api"] = api_options
        wgp = self._runtime().module
        params.setdefault("settings_version", wgp.settings_version)
        model_type = str(params.get("model_type", "") or "").strip()
        model_def = wgp.get_model_def(model_type) if model_type else None
        if model_def is not None:
            converted = apply_video_length_duration(params, model_def)  # may raise ValueError, synchronously
            if converted is not None:
                print(f"WanGP API converted video_length={converted['input']!r} to {converted['frames']} frames at "
                      f"{converted['fps']:g} fps for {model_type}")
            inferred = apply_media_flag_defaults(params, model_def)
            if inferred:
                print(f"WanGP API inferred media flags for {model_type}: {inferred}")
        force_fps = params.get("force_fps")
        if isinstance(force_fps, (int, float)) and not isinstance(force_fps, bool):
            params["force_fps"] = str(force_fps) if isinstance(force_fps, float) and not force_fps.is_integer() \
                else str(int(force_fps))
        for key in wgp.ATTACHMENT_KEYS:  # media paths are made absolute against the caller's folder
            value = params.get(key)
            if isinstance(value, (str, os.PathLike)) and str(value).strip():
                params[key] = str(Path(value).resolve())
        return task

    def _submit(self, tasks: list[dict[str, Any]], callbacks: object | None) -> SessionJob:
        with self._job_lock:
            if self._active_job is not None and not self._active_job.done:
                raise RuntimeError("WanGP session already has a generation in progress")
            job = SessionJob(self)
            job._callbacks = callbacks
            stamp = time.time_ns()
            for index, task in enumerate(tasks, start=1):
                if not str(task["params"].get("client_id", "") or "").strip():
                    task["params"]["client_id"] = f"api_{stamp}_{index}"
            self._active_job = job
            threading.Thread(target=self._run_job, args=(job, tasks), daemon=True, name="wangp-session-job").start()
            return job

    def _emit(self, job: SessionJob, kind: str, data: Any) -> None:
        """Put an event, and call back as the real one does: `started` and `refresh_models` reach
        only the stream, `completed` calls on_complete, and on_event gets kind "complete"."""
        job.events.put(kind, data)
        if kind in ("started", "refresh_models"):
            return
        callback = self._callbacks if job._callbacks is None else job._callbacks
        if callback is None:
            return
        name = "complete" if kind == "completed" else kind
        method = getattr(callback, f"on_{name}", None)
        if callable(method):
            method(data)
        on_event = getattr(callback, "on_event", None)
        if callable(on_event):
            on_event(SessionEvent(kind=name, data=data))

    def _run_job(self, job: SessionJob, tasks: list[dict[str, Any]]) -> None:
        from shared.api_cli import run_tasks

        run_tasks(self, job, tasks)

    def _progress_update(self, data: Any) -> ProgressUpdate:
        step = total = unit = None
        status = ""
        if isinstance(data, list) and data:
            if isinstance(data[0], tuple) and len(data[0]) == 2:
                step, total = int(data[0][0]), int(data[0][1])
                status = str(data[1] if len(data) > 1 else "")
                unit = str(data[3]) if len(data) > 3 else None
            else:
                status = str(data[1] if len(data) > 1 else data[0])
        else:
            status = str(data or "")
        raw = None
        gen = self._state["gen"]
        recorded = gen.get("progress_phase")
        if isinstance(recorded, tuple) and recorded:
            raw = extract_status_phase_label(recorded[0])
            if step is None and len(recorded) > 1 and "denoising" in raw.lower() and int(recorded[1]) >= 0 \
                    and int(gen.get("num_inference_steps") or 0) > 0:
                step, total = int(recorded[1]), int(gen["num_inference_steps"])
        label = extract_status_phase_label(status)
        if label and raw and step is None and _normalize_phase(label) != _normalize_phase(raw):
            raw = None
        shown = raw or label
        phase = _normalize_phase(shown or status)
        if phase not in ("encoding_text", "decoding") and not phase.startswith("inference"):
            step = total = None
        return ProgressUpdate(phase=phase, status=status, progress=_estimate(phase, step, total),
                              current_step=step, total_steps=total, raw_phase=shown or None, unit=unit)


def _normalize_phase(text: str) -> str:
    lowered = extract_status_phase_label(text).lower()
    for needles, phase in ((("denoising first pass", "denoising 1st pass"), "inference_stage_1"),
                           (("denoising second pass", "denoising 2nd pass"), "inference_stage_2"),
                           (("denoising third pass", "denoising 3rd pass"), "inference_stage_3")):
        if any(needle in lowered for needle in needles):
            return phase
    if lowered.startswith("loading") or "loading model" in lowered:
        return "loading_model"
    if "encoding" in lowered or "enhancing prompt" in lowered:
        return "encoding_text"
    if "decoding" in lowered:
        return "decoding"
    if any(word in lowered for word in ("saved", "completed", "output")):
        return "downloading_output"
    if "cancel" in lowered or "abort" in lowered:
        return "cancelled"
    return "inference"


_FIXED_PROGRESS = {"loading_model": 10, "encoding_text": 18, "inference_stage_1": 25, "inference_stage_2": 70,
                   "inference_stage_3": 80, "decoding": 90, "downloading_output": 95, "cancelled": 0}
# phase → (start, span, cap) of the step-based estimate
_STEP_PROGRESS = {"loading_model": (5, 10, 15), "encoding_text": (12, 10, 22), "inference_stage_1": (20, 48, 68),
                  "inference_stage_2": (68, 20, 88), "inference_stage_3": (80, 9, 89), "decoding": (85, 10, 95),
                  "downloading_output": (92, 6, 98)}


def _estimate(phase: str, step: int | None, total: int | None) -> int:
    if step is None or not total or total <= 0:
        return _FIXED_PROGRESS.get(phase, 15)
    if phase == "cancelled":
        return 0
    start, span, cap = _STEP_PROGRESS.get(phase, (20, 65, 90))
    return min(cap, start + int(max(0.0, min(1.0, step / total)) * span))


def build_media_postprocessing_settings(media_source: str | os.PathLike[str], *, temporal_upsampling: str = "", spatial_upsampling: str = "", film_grain_intensity: float = 0, film_grain_saturation: float = 0.5, seed: int = -1, api_options: dict[str, Any] | None = None, return_media: bool = False, **settings_overrides: Any) -> dict[str, Any]:
    settings = {"mode": "edit_postprocessing", "prompt": "Media postprocessing", "image_mode": 0,
                "video_source": os.fspath(media_source), "temporal_upsampling": temporal_upsampling or "",
                "spatial_upsampling": spatial_upsampling or "", "film_grain_intensity": film_grain_intensity,
                "film_grain_saturation": film_grain_saturation, "postprocess_audio": "", "repeat_generation": 1,
                "batch_size": 1, "seed": int(seed)}
    return _with_overrides(settings, settings_overrides, api_options, return_media)


def build_audio_remux_settings(video_source: str | os.PathLike[str], *, postprocess_audio: str, audio_source: str | os.PathLike[str] | None = None, postprocess_audio_prompt: str = "", postprocess_audio_neg_prompt: str = "", seed: int = -1, repeat_generation: int = 1, replace_voice_sample: str | os.PathLike[str] | None = None, replace_voice_sample2: str | os.PathLike[str] | None = None, api_options: dict[str, Any] | None = None, return_media: bool = False, **settings_overrides: Any) -> dict[str, Any]:
    optional = lambda value: None if value is None else os.fspath(value)  # noqa: E731
    settings = {"mode": "edit_remux", "prompt": "Audio remuxing", "image_mode": 0,
                "video_source": os.fspath(video_source), "postprocess_audio": postprocess_audio or "",
                "postprocess_audio_prompt": postprocess_audio_prompt or "",
                "postprocess_audio_neg_prompt": postprocess_audio_neg_prompt or "", "seed": int(seed),
                "repeat_generation": int(repeat_generation), "audio_source": optional(audio_source),
                "replace_voice_sample": optional(replace_voice_sample),
                "replace_voice_sample2": optional(replace_voice_sample2), "batch_size": 1}
    return _with_overrides(settings, settings_overrides, api_options, return_media)


def build_audio_postprocessing_settings(audio_source: str | os.PathLike[str], *, postprocess_audio: str, replace_voice_sample: str | os.PathLike[str] | None = None, replace_voice_sample2: str | os.PathLike[str] | None = None, api_options: dict[str, Any] | None = None, return_media: bool = False, **settings_overrides: Any) -> dict[str, Any]:
    optional = lambda value: None if value is None else os.fspath(value)  # noqa: E731
    settings = {"mode": "edit_audio", "prompt": "Audio postprocessing", "image_mode": 0,
                "audio_source": os.fspath(audio_source), "postprocess_audio": postprocess_audio or "",
                "replace_voice_sample": optional(replace_voice_sample),
                "replace_voice_sample2": optional(replace_voice_sample2), "repeat_generation": 1, "batch_size": 1}
    return _with_overrides(settings, settings_overrides, api_options, return_media)


def _with_overrides(settings: dict[str, Any], overrides: dict[str, Any], api_options: Any, return_media: bool) -> dict[str, Any]:
    options = overrides.pop("_api", None) if api_options is None else api_options
    settings.update(overrides)
    settings.pop("model_type", None)
    settings.pop("base_model_type", None)
    options = copy.deepcopy(options) if isinstance(options, dict) else {}
    if return_media:
        options["return_media"] = True
    if options:
        settings["_api"] = options
    return settings


def init(*, root: str | os.PathLike[str] | None = None, config_path: str | os.PathLike[str] | None = None, output_dir: str | os.PathLike[str] | None = None, callbacks: object | None = None, cli_args: Sequence[str] = (), console_output: bool = True, console_isatty: bool = True, webui_state: dict[str, Any] | None = None) -> WanGPSession:
    """Create and eagerly initialize a reusable WanGP session."""
    return WanGPSession(root=root, config_path=config_path, output_dir=output_dir, callbacks=callbacks,
                        cli_args=cli_args, console_output=console_output, console_isatty=console_isatty,
                        webui_state=webui_state).ensure_ready()


def create_gradio_webui_session(plugin) -> Any:
    raise NotImplementedError("the fake Wan2GP has no web UI")


def create_gradio_progress_callbacks(progress) -> Any:
    raise NotImplementedError("the fake Wan2GP has no web UI")


@contextlib.contextmanager
def _pushd(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _argv(argv: Sequence[str]) -> Iterator[None]:
    previous, sys.argv = sys.argv, list(argv)
    try:
        yield
    finally:
        sys.argv = previous


def _print_banner_once(module, *, enabled: bool = True) -> None:
    global _BANNER_PRINTED
    if enabled and not _BANNER_PRINTED:
        _BANNER_PRINTED = True
        console = sys.__stdout__ or sys.stdout
        console.write(f"Powered by WanGP v{module.WanGP_version} - a DeepBeepMeep Production\n")
        console.flush()
