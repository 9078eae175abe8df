"""What a finished file really holds (frames, fps, size, sound), read cheaply and best effort.

Wan2GP may change what was asked (temporal upsampling doubles fps, sizes snap to a multiple of 16),
so the reply describes the file itself when it can. imageio-ffmpeg and Pillow are in Wan2GP's
requirements; without them every field is None and the caller keeps what it asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


@dataclass(frozen=True)
class MediaFacts:
    frames: int | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool | None = None


def probe_media(path: Path) -> MediaFacts:
    try:
        return _probe_image(path) if path.suffix.lower() in IMAGE_SUFFIXES else _probe_video(path)
    except Exception:  # a probe must never fail a job that produced its file
        return MediaFacts()


def _probe_image(path: Path) -> MediaFacts:
    from PIL import Image

    with Image.open(path) as image:
        return MediaFacts(frames=1, width=image.width, height=image.height, has_audio=False)


def _probe_video(path: Path) -> MediaFacts:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)  # the header only; no frame is decoded
    finally:
        reader.close()
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))  # stream copy, no decoding
    width, height = meta.get("size") or (None, None)
    return MediaFacts(frames=frames, fps=meta.get("fps"), width=width, height=height,
                      has_audio="audio_codec" in meta)
