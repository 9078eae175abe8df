"""Finishing with the real Wan2GP: its late post-processing through shared/api.py.

- Upscale: `submit_media_postprocessing(clip, spatial_upsampling="lanczos2" | "flashvsr4" …)`
- Smooth: `submit_media_postprocessing(clip, temporal_upsampling="rife2" | "rife4")` (RIFE doubles or
  quadruples the frame rate), then the clip is resampled to the asked rate when RIFE overshoots it
  (16 fps ×2 = 32 fps for a 24 fps scene).
- Add Sound: `submit_audio_remux(clip, postprocess_audio="mmaudio", postprocess_audio_prompt=…)`: MMAudio
  makes a soundtrack from the picture (and the prompt) and Wan2GP muxes it into a copy of the clip.

Checked against WanGP 12.60 (8681e9f) through tests/fake_wan2gp, which validates and runs these tasks
as wgp.py's validate_task / edit_media do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...common.enums import OutputKind
from ...common.errors import GenerationFailedError, InvalidSettingsError
from ...common.filenames import slug
from ...common.finishing import SOUND_METHOD, FinishOperation, rife_factor
from ...common.settings import GenerationSettings, SimulationOptions
from .base import EngineJob, EngineOutput, concrete_seed
from .finish_media import change_frame_rate
from .media_probe import IMAGE_SUFFIXES, probe_media
from .wangp_job import drive, raise_for_result

if TYPE_CHECKING:
    from .wangp import WanGPEngine


class WanGPFinisher:
    def __init__(self, engine: WanGPEngine) -> None:
        self.engine = engine

    def submit(self, job_id: str, settings: GenerationSettings, source: Path, output_dir: Path,
               simulation: SimulationOptions | None) -> EngineJob:
        spec = settings.finish
        assert spec is not None
        seed = concrete_seed(settings)
        facts = probe_media(source)
        is_image = source.suffix.lower() in IMAGE_SUFFIXES
        if is_image and spec.operation is not FinishOperation.UPSCALE:
            raise InvalidSettingsError("finish.operation", f"{spec.operation.label} needs a video, not a still")
        factor = 0
        if spec.operation is FinishOperation.SMOOTH:
            try:
                factor = rife_factor(float(facts.fps or 0), float(spec.fps or 0))
            except ValueError as exc:
                raise InvalidSettingsError("finish.fps", str(exc)) from None
        session = self.engine.session

        def work(job: EngineJob) -> EngineOutput:
            try:
                if spec.operation is FinishOperation.UPSCALE:
                    session_job = session.submit_media_postprocessing(
                        str(source), spatial_upsampling=spec.spatial_upsampling, seed=seed)
                elif spec.operation is FinishOperation.SMOOTH:
                    session_job = session.submit_media_postprocessing(
                        str(source), temporal_upsampling=f"rife{factor}", seed=seed)
                else:
                    session_job = session.submit_audio_remux(
                        str(source), postprocess_audio=SOUND_METHOD, postprocess_audio_prompt=spec.sound_prompt,
                        postprocess_audio_neg_prompt=spec.sound_negative, seed=seed)
            except RuntimeError as exc:  # "WanGP session already has a generation in progress"
                raise GenerationFailedError(str(exc), stage="busy", job_id=job_id,
                                            hint="another generation still holds Wan2GP: wait, then retry") from None
            except (TypeError, ValueError) as exc:
                raise GenerationFailedError(str(exc), stage="validation", job_id=job_id) from None
            result = drive(job, session_job)
            raise_for_result(job, result)
            from .wangp import _inside, _main_file

            path = _inside(_main_file(result.generated_files, OutputKind.IMAGE if is_image else OutputKind.VIDEO),
                           output_dir)
            if spec.operation is FinishOperation.SMOOTH and spec.fps is not None:
                path = _at_rate(path, float(spec.fps), job_id)
            return _output(path, seed, is_image)

        return EngineJob(job_id, work).start()


def _at_rate(path: Path, fps: float, job_id: str) -> Path:
    """RIFE's clip at exactly `fps` (it doubled or quadrupled the rate, which may overshoot the scene's)."""
    facts = probe_media(path)
    if facts.fps is None or abs(float(facts.fps) - fps) < 0.01:
        return path
    target = path.with_name(f"{slug(path.stem, 80)}_{fps:g}fps_{slug(job_id, 8)}{path.suffix}")
    change_frame_rate(path, target, fps)
    path.unlink(missing_ok=True)
    return target


def _output(path: Path, seed: int, is_image: bool) -> EngineOutput:
    facts: Any = probe_media(path)
    if is_image:
        return EngineOutput(path=path, seed=seed, frames=1, fps=0.0, width=facts.width or 0, height=facts.height or 0)
    return EngineOutput(path=path, seed=seed, frames=facts.frames or 0, fps=float(facts.fps or 0),
                        width=facts.width or 0, height=facts.height or 0, has_audio=bool(facts.has_audio))
