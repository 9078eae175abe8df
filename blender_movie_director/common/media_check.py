"""Client-side checks of media inputs, so a bad file is refused before any upload."""

from __future__ import annotations

import os
from pathlib import Path

from .enums import MediaInput
from .errors import InvalidSettingsError

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"GIF8", b"II*\x00", b"MM\x00*")
MAX_MEDIA_BYTES = 4 * 1024**3


def is_image_header(head: bytes) -> bool:
    return head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def is_audio_header(head: bytes) -> bool:
    """WAV, FLAC, Ogg, MP3 (tagged or a bare frame), M4A."""
    return ((head[:4] == b"RIFF" and head[8:12] == b"WAVE") or head.startswith((b"fLaC", b"OggS", b"ID3"))
            or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
            or (head[4:8] == b"ftyp" and head[8:11] == b"M4A"))


def is_video_header(head: bytes) -> bool:
    return head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3") or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")


def check_media_file(media: MediaInput, path: Path, *, max_bytes: int | None = None) -> None:
    """Raise InvalidSettingsError(field=media) unless `path` is a readable file of the right kind,
    within `max_bytes` (the server's upload limit, when known)."""
    field = media.value
    if not path.exists():
        raise InvalidSettingsError(field, f"{path} does not exist", hint="pick an existing file")
    if not path.is_file():
        raise InvalidSettingsError(field, f"{path} is not a file")
    if not os.access(path, os.R_OK):
        raise InvalidSettingsError(field, f"{path} is not readable", hint="check the file's permissions")
    size = path.stat().st_size
    if size == 0:
        raise InvalidSettingsError(field, f"{path} is empty")
    if size > MAX_MEDIA_BYTES:
        raise InvalidSettingsError(field, f"{path} is {size / 1024**3:.1f} GiB; the limit is 4 GiB")
    if max_bytes is not None and size > max_bytes:
        raise InvalidSettingsError(field, f"{path.name} is {size / 1024**2:.0f} MB; this server takes up to "
                                   f"{max_bytes / 1024**2:.0f} MB", hint="send a smaller file")
    with path.open("rb") as handle:
        head = handle.read(16)
    wants_image = media.is_image
    if media.is_audio:
        if not is_audio_header(head):
            raise InvalidSettingsError(field, f"{path.name} is not a sound file (WAV, FLAC, MP3, Ogg, M4A)")
        return
    if wants_image and not is_image_header(head):
        raise InvalidSettingsError(field, f"{path.name} is not an image (PNG, JPEG, WebP, BMP, TIFF, GIF)")
    if not wants_image and not is_video_header(head):
        raise InvalidSettingsError(field, f"{path.name} is not a video (MP4, MOV, MKV, WebM, AVI)")
