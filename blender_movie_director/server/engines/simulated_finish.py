"""Finishing without a GPU, visibly: Upscale scales every frame up (Lanczos), Smooth interpolates new
frames (cross-fades) to the asked frame rate, Add Sound writes a real sound track into the clip.

Each walks Wan2GP's phases (load the upscaler / RIFE / MMAudio, then one step per frame or per
denoising step) at the engine's pace, stops at once on cancel, and honours the test faults
(fail, hang at step N) like a generation does.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ...common.enums import Phase
from ...common.errors import GenerationFailedError, InvalidSettingsError, JobCancelledError
from ...common.filenames import slug
from ...common.finishing import FinishOperation, FinishSpec, smoothed_frame_count
from ...common.settings import GenerationSettings, SimulationOptions
from .base import EngineJob, EngineOutput, concrete_seed
from .finish_media import add_sound_track, blend_to_rate, read_frames, write_frames
from .media_probe import IMAGE_SUFFIXES, probe_media
from .render import read_clip_metadata

SOUND_STEPS = 8  # MMAudio's denoising steps, as the simulated engine shows them
_LOADING = {FinishOperation.UPSCALE: "Loading the upscaler", FinishOperation.SMOOTH: "Loading RIFE",
            FinishOperation.ADD_SOUND: "Loading MMAudio"}


class SimulatedFinisher:
    def __init__(self, step_seconds: float, load_seconds: float) -> None:
        self.step_seconds = step_seconds
        self.load_seconds = load_seconds

    def submit(self, job_id: str, settings: GenerationSettings, source: Path, output_dir: Path,
               simulation: SimulationOptions | None) -> EngineJob:
        spec = settings.finish
        assert spec is not None
        options = simulation or SimulationOptions()

        def work(job: EngineJob) -> EngineOutput:
            return _Run(job, settings, spec, source, output_dir, options,
                        self.step_seconds if options.step_seconds is None else options.step_seconds,
                        self.load_seconds).run()

        return EngineJob(job_id, work).start()


class _Run:
    def __init__(self, job: EngineJob, settings: GenerationSettings, spec: FinishSpec, source: Path,
                 output_dir: Path, options: SimulationOptions, step_seconds: float, load_seconds: float) -> None:
        self.job, self.settings, self.spec, self.source = job, settings, spec, source
        self.output_dir, self.options, self.step_seconds, self.load_seconds = output_dir, options, step_seconds, load_seconds
        self.seed = concrete_seed(settings)

    def run(self) -> EngineOutput:
        self.job.phase(Phase.LOADING_MODEL, _LOADING[self.spec.operation])
        self.job.sleep(self.load_seconds)
        facts = probe_media(self.source)
        is_image = self.source.suffix.lower() in IMAGE_SUFFIXES
        if not facts.width or not facts.height or (not is_image and not facts.frames):
            raise GenerationFailedError(f"{self.spec.source_name or self.source.name} could not be read",
                                        stage="validation", job_id=self.job.job_id)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        metadata = {**read_clip_metadata(self.source), "engine": "simulated", "finished_from": self.spec.source_name,
                    "creation_timestamp": int(time.time())}
        if self.spec.operation is FinishOperation.UPSCALE:
            return self._upscale(facts, is_image, metadata)
        if is_image:
            raise InvalidSettingsError("finish.operation", f"{self.spec.operation.label} needs a video, not a still")
        if self.spec.operation is FinishOperation.SMOOTH:
            return self._smooth(facts, metadata)
        return self._add_sound(facts, metadata)

    # -- steps

    def _step(self, step: int, total: int) -> None:
        if step == self.options.fail_at_step:
            raise GenerationFailedError(f"simulated failure at step {step} of {total}", stage="inference",
                                        job_id=self.job.job_id)
        if step == self.options.hang_at_step:
            self.job.log(f"simulated hang at step {step}")
            self.job.sleep(10**9)
        self.job.sleep(self.step_seconds)
        self.job.progress_step(step, total)

    def _target(self, suffix: str) -> Path:
        stem = f"{slug(Path(self.spec.source_name or self.source.name).stem, 60)}_{self.spec.operation.value}"
        return self.output_dir / f"{stem}_{slug(self.job.job_id, 8)}{suffix}"

    def _stopping(self) -> bool:
        return self.job.cancel_requested

    def _write(self, target: Path, frames: Any, width: int, height: int, fps: float, metadata: dict[str, Any]) -> int:
        try:
            return write_frames(target, frames, width, height, fps, metadata, should_stop=self._stopping,
                                audio_from=self.source)
        except InterruptedError:
            raise JobCancelledError(self.job.job_id) from None

    # -- the three operations

    def _upscale(self, facts: Any, is_image: bool, metadata: dict[str, Any]) -> EngineOutput:
        width = _even(facts.width * self.spec.scale)
        height = _even(facts.height * self.spec.scale)
        metadata["spatial_upsampling"] = self.spec.spatial_upsampling
        if is_image:
            self.job.progress_step(1, 1)
            with Image.open(self.source) as opened:
                picture = opened.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
            target = self._target(".png")
            picture.save(target)
            return EngineOutput(path=target, seed=self.seed, frames=1, fps=0.0, width=width, height=height)
        total = int(facts.frames)

        def frames() -> Any:
            for index, frame in enumerate(read_frames(self.source, facts.width, facts.height), start=1):
                self._step(min(index, total), total)
                yield np.asarray(Image.fromarray(frame).resize((width, height), Image.Resampling.LANCZOS))

        self.job.phase(Phase.INFERENCE, f"Upscaling ×{self.spec.scale:g}")
        target = self._target(".mp4")
        written = self._write(target, frames(), width, height, float(facts.fps), metadata)
        self.job.phase(Phase.SAVING)
        return EngineOutput(path=target, seed=self.seed, frames=written, fps=float(facts.fps), width=width,
                            height=height, has_audio=bool(facts.has_audio))

    def _smooth(self, facts: Any, metadata: dict[str, Any]) -> EngineOutput:
        target_fps = float(self.spec.fps or 0)
        if target_fps <= float(facts.fps) + 1e-6:
            raise InvalidSettingsError("finish.fps", f"the clip already plays at {facts.fps:g} fps: "
                                       f"{target_fps:g} fps is not smoother", hint="pick a higher frame rate")
        source = list(read_frames(self.source, facts.width, facts.height))
        count = smoothed_frame_count(len(source), float(facts.fps), target_fps)
        metadata["temporal_upsampling"] = f"simulated blend to {target_fps:g} fps"

        def frames() -> Any:
            for index, frame in enumerate(blend_to_rate(source, float(facts.fps), target_fps, count), start=1):
                self._step(index, count)
                yield frame

        self.job.phase(Phase.INFERENCE, f"Interpolating to {target_fps:g} fps")
        target = self._target(".mp4")
        written = self._write(target, frames(), facts.width, facts.height, target_fps, metadata)
        self.job.phase(Phase.SAVING)
        return EngineOutput(path=target, seed=self.seed, frames=written, fps=target_fps, width=facts.width,
                            height=facts.height, has_audio=bool(facts.has_audio))

    def _add_sound(self, facts: Any, metadata: dict[str, Any]) -> EngineOutput:
        self.job.phase(Phase.ENCODING_TEXT, "Encoding the sound prompt")
        for step in range(1, SOUND_STEPS + 1):
            self._step(step, SOUND_STEPS)
        self.job.phase(Phase.DECODING)
        seconds = float(facts.frames) / float(facts.fps)
        prompt = self.spec.sound_prompt or self.settings.prompt
        metadata.update(postprocess_audio="mmaudio (simulated)", postprocess_audio_prompt=self.spec.sound_prompt,
                        postprocess_audio_seed=self.seed)
        target = self._target(".mp4")
        add_sound_track(self.source, target, seconds, prompt, self.seed, metadata)
        self.job.check_cancel()
        self.job.phase(Phase.SAVING)
        return EngineOutput(path=target, seed=self.seed, frames=int(facts.frames), fps=float(facts.fps),
                            width=facts.width, height=facts.height, has_audio=True)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)
