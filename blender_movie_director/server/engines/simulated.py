"""The simulated engine: no GPU, no weights. Real mp4s with the asked frames, fps and size.

It walks the same phases as Wan2GP (load model, encode prompt, denoise step by step, decode, save)
at a configurable pace, and can inject faults for tests: fail at step N, hang at step N (until
cancelled), or kill the whole server process at step N.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...common.catalog import CATALOG
from ...common.enums import EngineName, MediaInput, OutputKind, Phase
from ...common.errors import GenerationFailedError
from ...common.filenames import clip_stem
from ...common.messages import LoraList
from ...common.model_info import ModelInfo
from ...common.progress import Stage
from ...common.settings import GenerationSettings, SimulationOptions
from .base import Engine, EngineJob, EngineOutput, concrete_seed
from .control import controlled
from .render import FramePainter, RenderCancelled, write_mp4, write_png, write_wav

DEFAULT_STEP_SECONDS = 0.05
TWO_PASS_FAMILIES = frozenset({"ltx2"})
SECOND_PASS_STEPS = 3  # Wan2GP's distilled LTX-2 second stage
SPOKEN_SECONDS = 3.0  # a sound model asked for "as long as the words take"
# LoRAs the simulated engine offers every model (named like files in Wan2GP's loras/<family>/ folders); a
# clip made with some has their names and multipliers drawn on it
SIMULATED_LORAS = ("film_grain.safetensors", "anime_outline.safetensors", "rainy_mood.safetensors",
                   "slow_motion.safetensors")

# Wan2GP settings the simulated engine lets `extra` set (it draws nothing differently for them): a
# sensible share of WanGP 12.60's defaults for t2v, with their default values, none of them a file.
SIMULATED_EXTRA_DEFAULTS: dict[str, Any] = {
    "sample_solver": "unipc", "embedded_guidance_scale": 6.0, "guidance2_scale": 5.0, "guidance3_scale": 5.0,
    "switch_threshold": 0, "guidance_phases": 1, "audio_guidance_scale": 4.0, "repeat_generation": 1,
    "multi_prompts_gen_type": 0, "multi_images_gen_type": 0, "batch_size": 1, "denoising_strength": 0.5,
    "skip_steps_cache_type": "", "skip_steps_multiplier": 1.5, "skip_steps_start_step_perc": 20,
    "temporal_upsampling": "", "spatial_upsampling": "", "film_grain_intensity": 0, "film_grain_saturation": 0.5,
    "RIFLEx_setting": 0, "NAG_scale": 1, "NAG_tau": 3.5, "NAG_alpha": 0.5, "cfg_star_switch": 0,
    "cfg_zero_step": -1, "apg_switch": 0, "prompt_enhancer": "", "image_prompt_type": "", "video_prompt_type": "",
    "force_fps": "", "sliding_window_size": 129, "sliding_window_overlap": 5, "sliding_window_overlap_noise": 20,
    "sliding_window_discard_last_frames": 0, "sliding_window_color_correction_strength": 1, "model_mode": None,
    "mask_expand": 0, "remove_background_images_ref": 1, "motion_amplitude": 1.0, "perturbation_switch": 0,
}


@dataclass(frozen=True)
class _Shot:
    """One job's inputs, handed from rendering to writing."""

    job: EngineJob
    model: ModelInfo
    settings: GenerationSettings
    media: dict[MediaInput, Path]
    output_dir: Path
    options: SimulationOptions


class SimulatedEngine(Engine):
    name = EngineName.SIMULATED

    def __init__(self, step_seconds: float = DEFAULT_STEP_SECONDS, load_seconds: float = 0.3) -> None:
        self.step_seconds = step_seconds
        self.load_seconds = load_seconds
        self._warm_model: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"device": f"cpu (simulated, {platform.machine()})", "wan2gp_version": None,
                "vram_total_gb": None, "vram_free_gb": None}

    def models(self) -> list[ModelInfo]:
        return list(CATALOG)

    def model_defaults(self, model_type: str) -> dict[str, Any]:
        model = self.model(model_type)
        return {
            "model_type": model.id, "prompt": "", "negative_prompt": "", "resolution": model.default_resolution,
            "video_length": model.default_frames, "num_inference_steps": model.default_steps, "seed": -1,
            "guidance_scale": model.default_guidance_scale, "flow_shift": model.default_flow_shift,
            "activated_loras": [], "loras_multipliers": "", "duration_seconds": model.default_seconds,
            **SIMULATED_EXTRA_DEFAULTS,
        }

    def loras(self, model_type: str) -> LoraList:
        return LoraList(model_type=self.model(model_type).id, supported=True, loras=SIMULATED_LORAS)

    def submit(
        self,
        job_id: str,
        settings: GenerationSettings,
        media: dict[MediaInput, Path],
        output_dir: Path,
        simulation: SimulationOptions | None,
    ) -> EngineJob:
        options = simulation or SimulationOptions()
        model = self.model(settings.model_type)

        def work(job: EngineJob) -> EngineOutput:
            return self._run(_Shot(job, model, settings, media, output_dir, options))

        return EngineJob(job_id, work).start()

    def _run(self, shot: _Shot) -> EngineOutput:
        job, model, settings, options = shot.job, shot.model, shot.settings, shot.options
        step_seconds = self.step_seconds if options.step_seconds is None else options.step_seconds
        seed = concrete_seed(settings)
        if self._warm_model != model.id:  # like Wan2GP, a model stays loaded between jobs
            job.phase(Phase.LOADING_MODEL, f"Loading model {model.name}...")
            job.sleep(self.load_seconds)
            self._warm_model = model.id
        job.phase(Phase.ENCODING_TEXT)
        job.sleep(step_seconds)
        total = settings.num_inference_steps or model.default_steps
        # like Wan2GP's LTX-2 pipelines: a second, shorter pass at full size, its steps counted from 0 again
        passes = [total, SECOND_PASS_STEPS] if model.family in TWO_PASS_FAMILIES else [total]
        for pass_no, steps in enumerate(passes, start=1):
            stage = Stage(pass_no, len(passes))
            for step in range(1, steps + 1):
                if pass_no == 1 and options.exit_at_step == step:
                    print(f"simulated crash: exiting at step {step}", file=sys.stderr, flush=True)
                    os._exit(17)
                if pass_no == 1 and options.fail_at_step == step:
                    raise GenerationFailedError(f"simulated failure at step {step} of {total}", stage="inference",
                                                job_id=job.job_id)
                if pass_no == 1 and options.hang_at_step == step:
                    job.log(f"simulated hang at step {step}")
                    job.sleep(10**9)
                job.sleep(step_seconds)
                job.progress_step(step, steps, stage)
        job.phase(Phase.DECODING)
        job.phase(Phase.SAVING)
        return self._write(shot, seed)

    def _write(self, shot: _Shot, seed: int) -> EngineOutput:
        job, model, settings, media, output_dir = shot.job, shot.model, shot.settings, shot.media, shot.output_dir
        output_dir.mkdir(parents=True, exist_ok=True)
        metadata = {**settings.to_wan2gp(), "seed": seed, "engine": self.name.value,
                    "creation_timestamp": int(time.time())}
        stem = clip_stem(settings.prompt, seed, job.job_id)
        if model.output is OutputKind.AUDIO:
            path = output_dir / f"{stem}.wav"
            write_wav(path, settings.duration_seconds or SPOKEN_SECONDS, seed, metadata)
            return EngineOutput(path=path, seed=seed, frames=0, fps=0.0, width=0, height=0, has_audio=True)
        frames = settings.video_length or model.default_frames
        fps = float(model.fps)
        inputs = ", ".join(f"{m.value}={p.name}" for m, p in media.items())
        painter = FramePainter(
            settings.width, settings.height, frames, seed, settings.prompt,
            title=f"{model.id}  seed {seed}  {settings.resolution}" + (f"  [{inputs}]" if inputs else ""),
            start_image=media.get(MediaInput.IMAGE_START), notes=look_notes(settings),
            references=settings.reference_images(), end_image=media.get(MediaInput.IMAGE_END),
        )
        if model.output is OutputKind.VIDEO:  # it follows a control video, read as its letters say
            painter = controlled(painter, str(settings.extra.get("video_prompt_type") or ""), fps,
                                 media.get(MediaInput.VIDEO_GUIDE), media.get(MediaInput.VIDEO_MASK))
        if model.output is OutputKind.IMAGE:
            path = output_dir / f"{stem}.png"
            write_png(path, painter, metadata)
        else:
            path = output_dir / f"{stem}.mp4"
            try:
                write_mp4(path, painter, fps, metadata, audio=model.audio_output,
                          should_stop=lambda: job.cancel_requested)
            except RenderCancelled:
                job.check_cancel()
                raise
            if shot.options.pad_output_mb:
                pad_mp4(path, shot.options.pad_output_mb)
        return EngineOutput(path=path, seed=seed, frames=frames, fps=fps, width=settings.width,
                            height=settings.height, has_audio=model.audio_output and model.output is OutputKind.VIDEO)


def pad_mp4(path: Path, megabytes: int) -> None:
    """Make a clip `megabytes` MB bigger and still playable: a trailing `free` box (ISO BMFF skips it)
    of incompressible bytes, so that a transfer of it costs what a real clip of that size costs."""
    size = megabytes * 1024 * 1024
    block = os.urandom(1024 * 1024)
    with path.open("ab") as out:
        out.write((size).to_bytes(4, "big") + b"free")
        left = size - 8
        while left > 0:
            out.write(block[:left])
            left -= len(block)


def look_notes(settings: GenerationSettings) -> list[str]:
    """What the simulated frame says of the look: the preset, each LoRA with its multiplier, the cast."""
    notes = [f"look: {settings.preset.name}"] if settings.preset is not None else []
    weights = settings.loras_multipliers or (1.0,) * len(settings.activated_loras)
    notes += [f"LoRA {name.removesuffix('.safetensors')} x{weight:g}"
              for name, weight in zip(settings.activated_loras, weights, strict=False)]
    if settings.cast:
        notes.append("cast: " + ", ".join(settings.cast))
    return notes
