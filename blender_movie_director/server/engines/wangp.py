"""The real engine: Wan2GP in this process, through its documented Python API (shared/api.py).

    engine = WanGPEngine("~/Wan2GP", output_dir, cli_args=["--profile", "4"])

`shared.api.init(root=…, output_dir=…, cli_args=…)` runs once, at construction (it imports wgp.py
and keeps models warm between jobs); a folder without shared/api.py is refused before anything is
imported. Each job is one `submit_task(settings)` with Wan2GP's Export-Settings keys over
`get_default_settings(model_type)`. Checked against WanGP 12.60 (8681e9f) through tests/fake_wan2gp.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...common.enums import EngineName, MediaInput, OutputKind
from ...common.errors import GenerationFailedError, Wan2GPInstallError
from ...common.messages import LoraList
from ...common.model_info import ModelInfo
from ...common.settings import GenerationSettings, SimulationOptions
from ...common.wan2gp_install import inspect_wan2gp_dir
from .base import Engine, EngineJob, EngineOutput, concrete_seed
from .media_probe import probe_media
from .wangp_catalog import fallback_catalog, model_info_from, sort_catalog
from .wangp_job import drive, raise_for_result

log = logging.getLogger("bmd.wangp")


class WanGPEngine(Engine):
    name = EngineName.WANGP

    def __init__(self, wan2gp_dir: str | Path, output_dir: str | Path, cli_args: Sequence[str] = ()) -> None:
        self.install = inspect_wan2gp_dir(wan2gp_dir)
        self.output_dir = Path(output_dir).resolve()
        self.cli_args = tuple(cli_args)
        log.info("starting %s from %s with flags %s", self.install.label, self.install.root,
                 " ".join(self.cli_args) or "(none)")
        self.api = _import_api(self.install.root)
        self.session = _init_session(self.api, self.install.root, self.output_dir, self.cli_args)
        self._lock = threading.RLock()  # our discovery calls, one at a time (Wan2GP chdirs while serving them)
        self._static: dict[str, tuple[dict | None, dict]] = {}  # model_type → (schema, defaults); fixed per run
        self._catalog: list[ModelInfo] | None = None

    # ------------------------------------------------------------ discovery

    def describe(self) -> dict[str, Any]:
        return {"wan2gp_version": self.install.version, **_device()}

    def models(self) -> list[ModelInfo]:
        with self._lock:
            if self._catalog is None:
                self._catalog = self._build_catalog()
            return list(self._catalog)

    def _build_catalog(self) -> list[ModelInfo]:
        if not hasattr(self.session, "list_model_metadata"):
            log.warning("%s has no catalog API (before 12.00): offering the built-in model list", self.install.label)
            return fallback_catalog(self.install.root)
        try:
            records = self.session.list_model_metadata(include_availability=True)
        except TypeError:  # before 12.24: no availability
            records = self.session.list_model_metadata()
        models: list[ModelInfo] = []
        skipped: list[str] = []
        for record in records:
            model_type = str(record.get("model_type") or "")
            schema, defaults = self._static_parts(model_type, record)
            model = model_info_from(record, schema, defaults)
            if model is not None:
                models.append(model)
            else:
                skipped.append(model_type)
        kinds = Counter(m.output.value for m in models)
        log.info("catalog: %d Wan2GP models offered (%s), %d left out%s", len(models),
                 ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())), len(skipped),
                 f" (nothing we can place: {', '.join(skipped[:8])})" if skipped else "")
        return sort_catalog(models)

    def _static_parts(self, model_type: str, record: dict) -> tuple[dict | None, dict]:
        if model_type not in self._static:
            wanted = set(record.get("main_output") or ()) & {"video", "image", "audio"}
            schema = self.session.get_model_schema(model_type) if wanted and hasattr(self.session,
                                                                                     "get_model_schema") else None
            defaults = self._wan2gp_defaults(model_type) if wanted else {}
            self._static[model_type] = (schema, defaults)
        return self._static[model_type]

    def _wan2gp_defaults(self, model_type: str) -> dict[str, Any]:
        if not hasattr(self.session, "get_default_settings"):
            return {}
        try:
            return dict(self.session.get_default_settings(model_type))
        except ValueError:  # "Unknown model_type: …"
            return {}

    def model_defaults(self, model_type: str) -> dict[str, Any]:
        model = self.model(model_type)
        with self._lock:
            defaults = self._wan2gp_defaults(model.id) or {
                "model_type": model.id, "resolution": model.default_resolution, "video_length": model.default_frames,
                "num_inference_steps": model.default_steps, "guidance_scale": model.default_guidance_scale,
                "flow_shift": model.default_flow_shift, "seed": -1}
        return json.loads(json.dumps(defaults, default=str))  # the wire wants plain JSON

    def loras(self, model_type: str) -> LoraList:
        model = self.model(model_type)
        if not hasattr(self.session, "list_loras"):  # before 12.60
            return LoraList(model_type=model.id, supported=False)
        with self._lock:
            found = self.session.list_loras(model.id)
        return LoraList(model_type=model.id, supported=bool(found.get("supported")),
                        loras=tuple(str(name) for name in found.get("loras") or ()))

    # ------------------------------------------------------------ generation

    def submit(
        self,
        job_id: str,
        settings: GenerationSettings,
        media: dict[MediaInput, Path],
        output_dir: Path,
        simulation: SimulationOptions | None,
    ) -> EngineJob:
        model = self.model(settings.model_type)
        seed = concrete_seed(settings)
        with self._lock:
            task = self.wan2gp_task(settings, model, seed)

        def work(job: EngineJob) -> EngineOutput:
            try:
                session_job = self.session.submit_task(task)
            except RuntimeError as exc:  # "WanGP session already has a generation in progress"
                raise GenerationFailedError(str(exc), stage="busy", job_id=job_id,
                                            hint="another generation still holds Wan2GP: wait, then retry") from None
            except (TypeError, ValueError) as exc:  # Wan2GP's own settings normalisation
                raise GenerationFailedError(str(exc), stage="validation", job_id=job_id) from None
            try:
                result = drive(job, session_job)
            finally:
                with self._lock:
                    self._catalog = None  # a model may have downloaded its weights: availability changed
            raise_for_result(job, result)
            return self._output(result, settings, model, seed, output_dir)

        return EngineJob(job_id, work).start()

    def wan2gp_task(self, settings: GenerationSettings, model: ModelInfo, seed: int) -> dict[str, Any]:
        """The settings Wan2GP gets: its defaults for this model, then everything the user set."""
        ours = settings.to_wan2gp()
        if model.output is not OutputKind.VIDEO:
            ours.pop("video_length", None)  # images keep their own count (batch_size makes more), sound its seconds
        for key in ("negative_prompt", "activated_loras", "loras_multipliers"):
            if not ours.get(key):  # empty means "not set": keep the model's own (some have a negative prompt)
                ours.pop(key, None)
        task = {**self._wan2gp_defaults(model.id), **ours, "seed": seed}
        # Wan2GP's API infers the start/end/continue, reference and audio letters from the media given,
        # but not a control video's (or control image's) "V", nor its mask's "A"
        letters = str(task.get("video_prompt_type") or "")
        if (settings.video_guide or settings.image_guide) is not None and "V" not in letters:
            letters += "V"
        if (settings.video_mask or settings.image_mask) is not None and "A" not in letters:
            letters += "A"
        if letters != str(task.get("video_prompt_type") or ""):
            task["video_prompt_type"] = letters
        return task

    def _output(self, result: Any, settings: GenerationSettings, model: ModelInfo, seed: int,
                output_dir: Path) -> EngineOutput:
        path = _main_file(result.generated_files, model.output)
        path = _inside(path, output_dir)
        if model.output is OutputKind.AUDIO:
            return EngineOutput(path=path, seed=seed, frames=0, fps=0.0, width=0, height=0, has_audio=True)
        facts = probe_media(path)
        frames = facts.frames or (1 if model.output is OutputKind.IMAGE else settings.video_length or 0)
        return EngineOutput(
            path=path, seed=seed, frames=frames, fps=float(facts.fps or model.fps),
            width=facts.width or settings.width, height=facts.height or settings.height,
            has_audio=facts.has_audio if facts.has_audio is not None else model.audio_output)

    def close(self) -> None:
        with self._lock:
            try:
                self.session.close()  # releases the loaded model
            except Exception as exc:  # closing at exit is best effort
                log.warning("Wan2GP close failed: %s", exc)


# ---------------------------------------------------------------- loading Wan2GP


def _import_api(root: Path) -> Any:
    """Wan2GP's shared.api, from `root` and nowhere else."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        api = importlib.import_module("shared.api")
    except ImportError as exc:
        raise Wan2GPInstallError(f"Wan2GP's shared/api.py could not be imported from {root}: {exc}",
                                 hint=_import_hint(str(exc))) from exc
    found = Path(getattr(api, "__file__", "") or "").resolve()
    if root not in found.parents:
        raise Wan2GPInstallError(f"'shared.api' was imported from {found}, not from {root}",
                                 hint="another package named 'shared' is on the path: remove it from PYTHONPATH")
    return api


def _init_session(api: Any, root: Path, output_dir: Path, cli_args: Sequence[str]) -> Any:
    # the page this process serves is ours: Wan2GP's patch of its own web UI's scripts is not wanted
    os.environ.setdefault("WANGP_DISABLE_GRADIO_MODEL_SWITCH_PATCH", "1")
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        return api.init(root=str(root), output_dir=str(output_dir), cli_args=list(cli_args))
    except SystemExit as exc:  # wgp.py's argparse exits on a flag it does not know
        raise Wan2GPInstallError(f"Wan2GP refused its command-line flags {' '.join(cli_args)} (exit {exc.code})",
                                 hint="check the flag names against Wan2GP's docs/CLI.md") from None
    except Exception as exc:
        log.exception("Wan2GP failed to start")
        raise Wan2GPInstallError(f"Wan2GP failed to start: {type(exc).__name__}: {exc}",
                                 hint=_import_hint(str(exc))) from exc


def _import_hint(message: str) -> str:
    lowered = message.lower()
    if "cuda" in lowered:
        return ("this PyTorch has no CUDA (or no NVIDIA GPU/driver is visible): Wan2GP needs a CUDA GPU; "
                "install the CUDA build of torch from Wan2GP's docs/INSTALLATION.md")
    if "no module named" in lowered:
        return ("this Python lacks one of Wan2GP's packages: run the server with Wan2GP's own Python (--python), "
                "or `pip install -r requirements.txt` in Wan2GP's environment")
    return "the server log has Wan2GP's own traceback"


def _device() -> dict[str, Any]:
    """The GPU Wan2GP runs on, from torch (already imported by Wan2GP when it is real)."""
    torch: Any = sys.modules.get("torch")
    if torch is None:
        try:
            torch = importlib.import_module("torch")
        except ImportError:
            return {"device": "unknown (no torch in this Python)", "vram_total_gb": None, "vram_free_gb": None}
    try:
        if torch.cuda.is_available():
            index = torch.cuda.current_device()
            free, total = torch.cuda.mem_get_info(index)
            return {"device": f"cuda:{index} {torch.cuda.get_device_name(index)}",
                    "vram_total_gb": round(total / 1024**3, 2), "vram_free_gb": round(free / 1024**3, 2)}
        mps = getattr(getattr(torch, "backends", None), "mps", None)
        if mps is not None and mps.is_available():
            return {"device": "mps", "vram_total_gb": None, "vram_free_gb": None}
    except Exception as exc:  # a status call must answer even if the driver is unhappy
        return {"device": f"unknown ({type(exc).__name__})", "vram_total_gb": None, "vram_free_gb": None}
    return {"device": "cpu (no CUDA)", "vram_total_gb": None, "vram_free_gb": None}


# ---------------------------------------------------------------- outputs


_SUFFIXES = {OutputKind.VIDEO: (".mp4", ".mkv", ".mov", ".webm"), OutputKind.IMAGE: (".png", ".jpg", ".jpeg", ".webp"),
             OutputKind.AUDIO: (".wav", ".mp3", ".flac", ".ogg", ".m4a")}


def _main_file(files: Sequence[str], output: OutputKind) -> Path:
    """The clip to place: the first video (or still, or sound) of the output's kind, not a sidecar."""
    wanted = _SUFFIXES[output]
    paths = [Path(f) for f in files]
    for path in paths:
        if path.suffix.lower() in wanted and path.is_file():
            return path
    raise GenerationFailedError(f"Wan2GP reported {', '.join(p.name for p in paths) or 'no file'}, "
                                f"but no {output.value} file exists", stage="output")


def _inside(path: Path, output_dir: Path) -> Path:
    """The file inside the served folder (gradio serves nothing else): moved there if Wan2GP put it elsewhere."""
    output_dir = output_dir.resolve()
    if output_dir in path.resolve().parents:
        return path
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / path.name
    shutil.move(str(path), target)
    return target
