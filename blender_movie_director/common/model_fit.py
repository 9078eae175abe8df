"""Settings checked against one model's rules (media it needs and takes, resolution, frame grid, sound
or pictures) and completed with its defaults: GenerationSettings.resolved_for, kept apart from the
field-by-field checks in settings.py."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import hints
from .enums import MediaInput, OutputKind
from .errors import InvalidSettingsError
from .model_info import ModelInfo

if TYPE_CHECKING:
    from typing import Self  # annotations only: the server's Python may predate it


class ModelFit:
    """Mixin of GenerationSettings: fitting settings to a model."""

    if TYPE_CHECKING:  # GenerationSettings' fields and methods this uses (declared there)
        model_type: str
        resolution: str | None
        video_length: int | None
        duration_seconds: float | None
        num_inference_steps: int | None
        guidance_scale: float | None
        flow_shift: float | None
        image_refs: Path | None
        image_refs_more: tuple[Path, ...]
        cast: tuple[str, ...]
        finish: object | None

        def media(self) -> dict[MediaInput, Path]: ...

        def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self: ...

    def resolved_for(self, model: ModelInfo) -> Self:
        """Check these settings against the model's rules and fill in its defaults.

        Raises InvalidSettingsError naming the field, before anything is sent.
        """
        if self.model_type != model.id:
            raise InvalidSettingsError("model_type", f"settings are for '{self.model_type}', not '{model.id}'")
        if self.finish is not None:
            raise InvalidSettingsError("finish", "a finishing job is not a generation: it goes to /finish",
                                       hint="submit it with Wan2GPClient.submit(), which sends it there")
        self._check_media(model)
        if model.output is OutputKind.AUDIO:
            if self.video_length is not None:
                raise InvalidSettingsError("video_length", f"{model.id} makes sound: set duration_seconds, not frames")
            return self.model_copy(update={
                "resolution": None, "video_length": None,
                "duration_seconds": model.default_seconds if self.duration_seconds is None else self.duration_seconds,
                "num_inference_steps": self.num_inference_steps or model.default_steps,
                "guidance_scale": model.default_guidance_scale if self.guidance_scale is None else self.guidance_scale,
                "flow_shift": model.default_flow_shift if self.flow_shift is None else self.flow_shift,
            })
        resolution = self.resolution or model.default_resolution
        if resolution not in model.resolutions:
            raise InvalidSettingsError(
                "resolution",
                f"{model.id} does not offer {resolution}",
                hint=f"pick one of {', '.join(model.resolutions[-8:])} … (or leave it empty for {model.default_resolution})",
            )
        frames = self.video_length if self.video_length is not None else model.default_frames
        if model.output is OutputKind.IMAGE:
            if frames != 1 and self.video_length is not None:
                raise InvalidSettingsError("video_length", f"{model.id} makes still images: use 1 frame")
            frames = 1
        elif not model.is_valid_frame_count(frames):
            if frames > model.frames_limit:
                message = f"{frames} frames is beyond {model.id}'s limit of {model.frames_limit}"
            elif frames < model.frames_minimum:
                message = f"{frames} frames is below {model.id}'s minimum of {model.frames_minimum}"
            else:
                message = f"{frames} frames is off {model.id}'s frame grid ({model.frame_grid})"
            raise InvalidSettingsError(
                "video_length", message, hint=f"use {model.snap_frames(frames)} frames"
            )
        if self.duration_seconds is not None:
            raise InvalidSettingsError("duration_seconds", f"{model.id} makes pictures: set video_length (frames)")
        return self.model_copy(
            update={
                "resolution": resolution,
                "video_length": frames,
                "num_inference_steps": self.num_inference_steps or model.default_steps,
                "guidance_scale": model.default_guidance_scale if self.guidance_scale is None else self.guidance_scale,
                "flow_shift": model.default_flow_shift if self.flow_shift is None else self.flow_shift,
            }
        )

    def _check_media(self, model: ModelInfo) -> None:
        """What the model needs is there (named, with where to get it), and it takes everything given."""
        if self.image_refs_more and self.image_refs is None:
            raise InvalidSettingsError("image_refs_more", "more reference images need a first one in image_refs")
        if (self.cast or self.image_refs_more) and not model.accepts(MediaInput.IMAGE_REFS):
            who = f"the cast ({', '.join(self.cast)})" if self.cast else "reference images"
            raise InvalidSettingsError(
                "cast" if self.cast else "image_refs_more",
                f"{model.id} does not take reference images, so {who} cannot be shown to it",
                hint="pick a model that takes reference images (e.g. Lynx, Phantom, Stand-In, VACE, LTX-2), "
                     "or take the cast out of the shot")
        for media in model.required_inputs:
            if getattr(self, media.value) is None:
                raise InvalidSettingsError(media.value, f"{model.id} needs {media.label}",
                                           hint=hints.input_hint(media))
        for media in self.media():
            if not model.accepts(media):
                accepted = ", ".join(m.label for m in model.media_inputs) or "no media, only a prompt"
                raise InvalidSettingsError(
                    media.value,
                    f"{model.id} does not take {media.label} (it takes {accepted})",
                    hint=hints.hint("pick_model_for_input"),
                )
