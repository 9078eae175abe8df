"""Closed sets of values shared by the client, the server and the add-on."""

from __future__ import annotations

from enum import Enum


class JobState(str, Enum):
    """Where a generation job is in its life. Wire value = enum value."""

    SUBMITTING = "submitting"  # handed to the client, not yet acknowledged by the server
    QUEUED = "queued"  # waiting in the server's queue for the GPU
    RUNNING = "running"  # the engine is working on it
    DOWNLOADING = "downloading"  # finished on the server, the file is being fetched
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # lost track of it (Blender closed, server restarted)

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED})


class Phase(str, Enum):
    """What the engine is doing, named like Wan2GP's normalised progress phases."""

    QUEUED = "queued"
    LOADING_MODEL = "loading_model"
    ENCODING_TEXT = "encoding_text"
    INFERENCE = "inference"
    DECODING = "decoding"
    SAVING = "saving"
    DOWNLOADING = "downloading_output"
    DONE = "done"

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    Phase.QUEUED: "Waiting in queue",
    Phase.LOADING_MODEL: "Loading model",
    Phase.ENCODING_TEXT: "Encoding prompt",
    Phase.INFERENCE: "Denoising",
    Phase.DECODING: "Decoding frames",
    Phase.SAVING: "Writing video",
    Phase.DOWNLOADING: "Downloading clip",
    Phase.DONE: "Done",
}


class TaskKind(str, Enum):
    TEXT_TO_VIDEO = "t2v"
    IMAGE_TO_VIDEO = "i2v"
    FIRST_LAST_FRAME = "flf2v"
    VIDEO_TO_VIDEO = "v2v"
    CONTROL = "control"
    TEXT_TO_IMAGE = "t2i"


class ModelFamily(str, Enum):
    WAN = "wan"
    WAN_2_2_5B = "wan_5b"
    VACE = "vace"
    HUNYUAN = "hunyuan"
    LTX_VIDEO = "ltxv"
    LTX_2 = "ltx2"
    FLUX = "flux"


class ModelCategory(str, Enum):
    FAST = "fast"
    HIGH_QUALITY = "high_quality"
    IMAGE_TO_VIDEO = "image_to_video"
    CONTROL = "control"
    IMAGE = "image"


class MediaInput(str, Enum):
    """Media a model can take, named as Wan2GP's settings keys."""

    IMAGE_START = "image_start"
    IMAGE_END = "image_end"
    VIDEO_SOURCE = "video_source"  # a clip to continue
    VIDEO_GUIDE = "video_guide"  # a control video (VACE)


class OutputKind(str, Enum):
    VIDEO = "video"
    IMAGE = "image"


class EngineName(str, Enum):
    SIMULATED = "simulated"
    WANGP = "wangp"


# Wan2GP's resolution choices (shared/resolutions.py DEFAULT_RESOLUTION_CHOICES at 8681e9f),
# largest first. A model accepts these unless its catalog entry narrows them.
RESOLUTIONS: tuple[str, ...] = (
    "1920x1088", "1088x1920", "1440x1440", "1536x1024", "1024x1536", "1920x832", "832x1920",
    "2048x768", "1024x1792", "1088x1088",
    "1024x1024", "1280x720", "720x1280", "1600x400", "1280x544", "544x1280", "1104x832",
    "832x1104", "960x960",
    "960x544", "544x960",
    "832x624", "624x832", "720x720", "832x480", "480x832",
    "672x384", "384x672", "512x512",
    "576x320", "320x576", "448x448",
    "448x256", "256x448", "320x320",
)
