"""Uploaded media: checked before a job may take the GPU, and deleted when the job is over.

Every upload is opened and probed for what its slot expects (image_start, image_end, image_refs,
image_guide, image_mask: an image; audio_guide: sound; the others: a video), decoded (one frame or a
moment of sound), and held within limits of bytes, pixels and seconds; a bad one is refused at once
with an InvalidSettingsError naming the slot. gradio keeps uploads under its upload folder by content
hash, so one file sent for two jobs is one path: an upload is deleted when the last job in this server
that uses it ends, unless a request still waiting in gradio's queue names it (then the later job, or
the janitor, deletes it).
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..common.enums import MediaInput
from ..common.errors import InvalidSettingsError
from .engines.render import ffmpeg_exe

log = logging.getLogger("bmd.server")

IMAGE_SLOTS = frozenset(m for m in MediaInput if m.is_image)
IMAGE_FORMATS = frozenset({"PNG", "JPEG", "MPO", "WEBP", "BMP", "TIFF", "GIF"})
# ffmpeg's demuxer names for the containers the client accepts (MP4/MOV, MKV/WebM, AVI)
VIDEO_FORMATS = ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi")
PROBE_SECONDS = 30.0


@dataclass(frozen=True)
class MediaLimits:
    max_bytes: int = 512 * 1024**2
    max_pixels: int = 4096 * 4096  # per image or video frame
    max_video_seconds: float = 120.0

    def describe(self) -> str:
        return (f"{self.max_bytes // 1024**2} MB, {self.max_pixels / 1e6:.1f} megapixels, "
                f"{self.max_video_seconds:g} s of video")


@dataclass(frozen=True)
class MediaFacts:
    width: int
    height: int
    seconds: float | None = None  # videos


def check_upload(media: MediaInput, path: Path, limits: MediaLimits, upload_root: Path | None) -> MediaFacts:
    """Raise InvalidSettingsError(field=slot) unless `path` is an upload of this server that holds the
    media its slot expects, decodable and within the limits."""
    slot = media.value
    if upload_root is not None and upload_root.resolve() not in path.resolve().parents:
        raise InvalidSettingsError(slot, "is not a file uploaded to this server", hint="send the file as an upload")
    try:
        size = path.stat().st_size
    except OSError:
        raise InvalidSettingsError(slot, "the upload is missing on the server (it may have been cleaned up)",
                                  hint="submit the job again") from None
    if not path.is_file():
        raise InvalidSettingsError(slot, "the upload is not a file")
    if size == 0:
        raise InvalidSettingsError(slot, f"{path.name} is empty", hint="pick the right file")
    if size > limits.max_bytes:
        raise InvalidSettingsError(slot, f"{path.name} is {size / 1024**2:.0f} MB; this server takes up to "
                                  f"{limits.max_bytes // 1024**2} MB", hint="send a smaller file")
    if media in IMAGE_SLOTS:
        return _check_image(slot, path, limits)
    if media.is_audio:
        return _check_audio(slot, path, limits)
    return _check_video(slot, path, limits)


def _check_image(slot: str, path: Path, limits: MediaLimits) -> MediaFacts:
    from PIL import Image

    wanted = "an image (PNG, JPEG, WebP, BMP, TIFF, GIF)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.format not in IMAGE_FORMATS:
                    raise InvalidSettingsError(slot, f"{path.name} is {image.format or 'unknown'}, not {wanted}")
                width, height = image.size
                if width < 1 or height < 1 or width * height > limits.max_pixels:
                    raise InvalidSettingsError(
                        slot, f"{path.name} is {width}x{height} ({width * height / 1e6:.0f} megapixels); this server "
                        f"takes up to {limits.max_pixels / 1e6:.1f} megapixels", hint="scale the image down")
                image.load()  # decode it now, not in the middle of a job
    except InvalidSettingsError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidSettingsError(slot, f"{path.name} has far more pixels than this server takes "
                                   f"({limits.max_pixels / 1e6:.1f} megapixels)", hint="scale the image down") from None
    except Exception as exc:  # PIL raises many types for broken files; never show the server's paths
        reason = str(exc).replace(str(path), path.name)[:120]
        raise InvalidSettingsError(slot, f"{path.name} is not {wanted} that can be read "
                                   f"({type(exc).__name__}: {reason})", hint="export the image again") from None
    return MediaFacts(width, height)


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO_SIZE = re.compile(r"Stream #0:\d+.*?: Video: .*?(\d{1,6})x(\d{1,6})")
_INPUT_FORMAT = re.compile(r"Input #0, (.+?), from ")
_FRAMES = re.compile(r"frame=\s*(\d+)")


def _check_video(slot: str, path: Path, limits: MediaLimits) -> MediaFacts:
    wanted = "a video (MP4, MOV, MKV, WebM, AVI)"
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-frames:v", "1",
           "-f", "null", "-"]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=PROBE_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise InvalidSettingsError(slot, f"{path.name} could not be read within {PROBE_SECONDS:g} s",
                                  hint="export the video again") from None
    text = done.stderr[-20_000:].decode(errors="replace")
    found = _INPUT_FORMAT.search(text)
    if found is None or found.group(1) not in VIDEO_FORMATS:
        kind = f"{found.group(1)} data" if found else "not media ffmpeg can open"
        raise InvalidSettingsError(slot, f"{path.name} is {kind}, not {wanted}")
    size = _VIDEO_SIZE.search(text)
    frames = _FRAMES.findall(text)
    if done.returncode != 0 or size is None or not frames or int(frames[-1]) < 1:
        last = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
        last = last.replace(str(path), path.name)
        raise InvalidSettingsError(slot, f"{path.name} has no video frame that can be decoded ({last[:120]})",
                                  hint="export the video again")
    width, height = int(size.group(1)), int(size.group(2))
    if width * height > limits.max_pixels:
        raise InvalidSettingsError(slot, f"{path.name} is {width}x{height}; this server takes frames up to "
                                  f"{limits.max_pixels / 1e6:.1f} megapixels", hint="scale the video down")
    return MediaFacts(width, height, _checked_duration(slot, path, text, limits, "video"))


AUDIO_FORMATS = ("wav", "flac", "ogg", "mp3", "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm")


def _check_audio(slot: str, path: Path, limits: MediaLimits) -> MediaFacts:
    wanted = "sound (WAV, FLAC, MP3, Ogg, M4A)"
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0", "-t", "0.1", "-f", "null", "-"]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=PROBE_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise InvalidSettingsError(slot, f"{path.name} could not be read within {PROBE_SECONDS:g} s",
                                   hint="export the sound again") from None
    text = done.stderr[-20_000:].decode(errors="replace")
    found = _INPUT_FORMAT.search(text)
    if found is None or found.group(1) not in AUDIO_FORMATS or done.returncode != 0 or "Audio:" not in text:
        kind = f"{found.group(1)} data" if found else "not media ffmpeg can open"
        raise InvalidSettingsError(slot, f"{path.name} is {kind} without a sound track that can be decoded, "
                                   f"not {wanted}", hint="export the sound again")
    return MediaFacts(0, 0, _checked_duration(slot, path, text, limits, "sound"))


def _checked_duration(slot: str, path: Path, ffmpeg_text: str, limits: MediaLimits, what: str) -> float | None:
    """The length ffmpeg printed for the file (None if it printed none), refused beyond the server's limit."""
    duration = _DURATION.search(ffmpeg_text)
    seconds = (int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))
               if duration else None)
    if seconds is not None and seconds > limits.max_video_seconds:
        raise InvalidSettingsError(slot, f"{path.name} lasts {seconds:.0f} s; this server takes up to "
                                   f"{limits.max_video_seconds:g} s", hint=f"trim the {what}")
    return seconds


# ---------------------------------------------------------------- who uses which upload


class UploadBook:
    """The uploads jobs in this server hold; each is deleted when its last holder lets go."""

    def __init__(self, root: Path, *, pending: Callable[[], set[str] | None] = lambda: set(),
                 forget: Callable[[str], None] = lambda path: None) -> None:
        self.root = root.resolve()
        self._pending = pending  # paths named by requests still in gradio's queue (None: unknown)
        self._forget = forget  # tell gradio a file is gone (its own set of uploads grows otherwise)
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()
        self._by_job: dict[str, list[str]] = {}

    def hold(self, job_id: str, paths: Iterable[Path]) -> None:
        held = [str(p.resolve()) for p in paths if self.root in p.resolve().parents]
        with self._lock:
            self._by_job.setdefault(job_id, []).extend(held)
            self._held.update(held)

    def in_use(self) -> set[str]:
        with self._lock:
            return set(self._held)

    def release(self, job_id: str) -> list[Path]:
        """The job is over: delete its uploads that nothing else holds or waits for. Returns them."""
        with self._lock:
            paths = self._by_job.pop(job_id, [])
            self._held.subtract(paths)
            free = [p for p in paths if self._held[p] <= 0]
            for p in free:
                del self._held[p]
        if not free:
            return []
        waiting = self._pending()
        if waiting is None:  # gradio's queue could not be read: leave them to the janitor
            return []
        deleted = []
        for name in free:
            if name not in waiting and delete_upload(Path(name), self.root):
                self._forget(name)
                deleted.append(Path(name))
        return deleted


def delete_upload(path: Path, root: Path) -> bool:
    """Delete one upload and its content-hash folder when that is left empty."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("could not delete upload %s: %s", path, exc)
        return False
    parent = path.parent
    if parent != root and root in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            pass  # not empty: another file of the same content folder
    return True


def pending_upload_paths(app: Any) -> set[str] | None:
    """Files named by requests still waiting in gradio's queue (gradio 5 and 6 keep them the same
    way; private, so None when it cannot be read and callers must keep what they would delete)."""
    try:
        found: set[str] = set()
        for event_queue in app._queue.event_queue_per_concurrency_id.values():
            for event in list(event_queue.queue):
                data = getattr(getattr(event, "data", None), "data", None) or []
                for value in data:
                    if isinstance(value, dict) and isinstance(value.get("path"), str):
                        found.add(str(Path(value["path"]).resolve()))
        return found
    except Exception:
        return None
