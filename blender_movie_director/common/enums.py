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
    IMAGE_TO_IMAGE = "i2i"
    TEXT_TO_AUDIO = "t2a"


class ModelGroup(str, Enum):
    """What a model does, as the model picker groups them. A model may do several."""

    TEXT_TO_VIDEO = "text_to_video"
    IMAGE_TO_VIDEO = "image_to_video"
    FIRST_LAST_FRAME = "first_last_frame"
    CONTROL_EDIT = "control_edit"
    IMAGE = "image"
    AUDIO = "audio"

    @property
    def label(self) -> str:
        return _GROUP_LABELS[self]


_GROUP_LABELS = {
    ModelGroup.TEXT_TO_VIDEO: "Text to Video",
    ModelGroup.IMAGE_TO_VIDEO: "Image to Video",
    ModelGroup.FIRST_LAST_FRAME: "First/Last Frame",
    ModelGroup.CONTROL_EDIT: "Control / Edit",
    ModelGroup.IMAGE: "Images",
    ModelGroup.AUDIO: "Audio",
}

# Wan2GP's family ids (the handlers' query_model_family) and their labels as WanGP 12.60 publishes
# them. A model's family is an open string: a family not listed here is shown under its own label.
FAMILY_LABELS: dict[str, str] = {
    "wan": "Wan2.1", "wan2_2": "Wan2.2", "ltx2": "LTX-2", "ltxv": "LTX Video", "hunyuan": "Hunyuan Video",
    "hunyuan_1_5": "Hunyuan Video 1.5", "flux": "Flux 1", "flux2": "Flux 2", "kandinsky5": "Kandinsky 5",
    "z_image": "Z-Image", "qwen": "Qwen", "longcat": "LongCat", "magi_human": "Magi Human",
    "minimax_h3": "MiniMax H3", "hidream": "HiDream", "krea2": "Krea 2", "ideogram4": "Ideogram 4",
    "music": "Music", "tts": "TTS",
}


class ModelCategory(str, Enum):
    FAST = "fast"
    HIGH_QUALITY = "high_quality"
    IMAGE_TO_VIDEO = "image_to_video"
    CONTROL = "control"
    IMAGE = "image"
    AUDIO = "audio"


class MediaInput(str, Enum):
    """Media a model can take, named as Wan2GP's settings keys."""

    IMAGE_START = "image_start"
    IMAGE_END = "image_end"
    VIDEO_SOURCE = "video_source"  # a clip to continue
    VIDEO_GUIDE = "video_guide"  # a control video (VACE, video-to-video, motion transfer)
    IMAGE_REFS = "image_refs"  # reference image(s): a person, an object, a landscape
    VIDEO_MASK = "video_mask"  # the area of the control video to change
    IMAGE_GUIDE = "image_guide"  # a control image (image models)
    IMAGE_MASK = "image_mask"  # the area of the control image to change
    AUDIO_GUIDE = "audio_guide"  # a voice or a sound track that drives the clip

    @property
    def label(self) -> str:
        return _MEDIA_LABELS[self]

    @property
    def is_image(self) -> bool:
        return self in (MediaInput.IMAGE_START, MediaInput.IMAGE_END, MediaInput.IMAGE_REFS, MediaInput.IMAGE_GUIDE,
                        MediaInput.IMAGE_MASK)

    @property
    def is_audio(self) -> bool:
        return self is MediaInput.AUDIO_GUIDE


_MEDIA_LABELS = {
    MediaInput.IMAGE_START: "a start image", MediaInput.IMAGE_END: "an end image",
    MediaInput.VIDEO_SOURCE: "a video to continue", MediaInput.VIDEO_GUIDE: "a control video",
    MediaInput.IMAGE_REFS: "a reference image", MediaInput.VIDEO_MASK: "a video mask",
    MediaInput.IMAGE_GUIDE: "a control image", MediaInput.IMAGE_MASK: "an image mask",
    MediaInput.AUDIO_GUIDE: "an audio track",
}


class OutputKind(str, Enum):
    VIDEO = "video"
    IMAGE = "image"
    AUDIO = "audio"


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
