"""Renders the simulated engine's clips: real, playable H.264 mp4s (or PNG stills).

Every frame shows a moving pattern whose colours come from the seed, with the prompt, the seed and
the frame number drawn on it, so a person can tell clips apart and check placement by eye. The
settings go into the mp4's `comment` tag as JSON, as Wan2GP does.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .ffmpeg_pipe import pipe_frames


def ffmpeg_exe() -> str:
    """The ffmpeg shipped inside the imageio-ffmpeg wheel, else one on PATH."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return "ffmpeg"


DISSOLVE = 0.6  # a start (end) image dissolves into (out of) the pattern over this share of the clip


class FramePainter:
    """Draws frame i of a clip; the same seed always gives the same pictures."""

    def __init__(self, width: int, height: int, frames: int, seed: int, caption: str, title: str,
                 start_image: Path | None = None, notes: Sequence[str] = (),
                 references: Sequence[Path] = (), end_image: Path | None = None) -> None:
        rng = random.Random(seed)
        self.width, self.height, self.frames = width, height, frames
        self.colours = np.array([[rng.randrange(40, 256) for _ in range(3)] for _ in range(2)], dtype=np.float32)
        self.angle = rng.uniform(0, np.pi)
        # the pattern is computed at a quarter of the size and scaled up: 16x less work per frame
        small_w, small_h = max(2, width // 4), max(2, height // 4)
        yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
        self.wave = (xx * np.cos(self.angle) + yy * np.sin(self.angle)) / max(small_w, small_h)
        self.font = _font(max(12, height // 22))
        self.small = _font(max(10, height // 30))
        self.caption = textwrap.wrap(caption, width=max(20, width // max(6, height // 40)))[:3]
        self.title = title
        self.notes = [n[:120] for n in notes][:6]  # e.g. the look and the LoRAs, under the title
        # reference images (a cast): shown side by side along the bottom right, each a fifth of the height
        self.references = [_thumbnail(path, max(8, height // 5)) for path in list(references)[:8]]
        # image-to-video: the clip opens on the given image and dissolves into the pattern; with an end
        # image (first + last frame) the pattern dissolves into it and the last frame is that image
        self.start = _fitted(start_image, width, height) if start_image is not None else None
        self.end = _fitted(end_image, width, height) if end_image is not None else None

    def paint(self, index: int) -> bytes:
        phase = index / max(1, self.frames)
        mix = (0.5 + 0.5 * np.sin(2 * np.pi * (self.wave * 3 - phase)))[..., None]
        rgb = self.colours[0] * mix + self.colours[1] * (1 - mix)
        image = Image.fromarray(rgb.astype(np.uint8)).resize((self.width, self.height), Image.Resampling.BILINEAR)
        for still, away in ((self.start, index), (self.end, self.frames - 1 - index)):  # frames from it
            keep = max(0.0, 1.0 - away / max(1.0, self.frames * DISSOLVE))
            if still is not None and keep > 0:
                image = Image.fromarray((still * keep + np.asarray(image, dtype=np.float32) * (1 - keep))
                                        .astype(np.uint8))
        draw = ImageDraw.Draw(image)
        # a bar sweeping left to right makes motion (and dropped frames) visible
        x = int(phase * self.width)
        draw.rectangle([x, self.height - self.height // 12, x + self.width // 20, self.height], fill=(255, 255, 255))
        margin = self.height // 30
        draw.text((margin, margin), self.title, font=self.small, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
        note_y = margin + int(getattr(self.small, "size", 12) * 1.4)
        for note in self.notes:
            draw.text((margin, note_y), note, font=self.small, fill=(160, 255, 160), stroke_width=2,
                      stroke_fill=(0, 0, 0))
            note_y += int(getattr(self.small, "size", 12) * 1.3)
        x_ref = self.width - margin - sum(t.width + margin for t in self.references) + margin  # in order, left to right
        for thumb in self.references:
            if x_ref >= 0:
                image.paste(thumb, (x_ref, self.height - self.height // 12 - thumb.height - margin))
            x_ref += thumb.width + margin
        y = self.height // 3
        for line in self.caption:
            draw.text((margin, y), line, font=self.font, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
            y += int(getattr(self.font, "size", 16) * 1.3)
        draw.text((margin, self.height - self.height // 6), f"frame {index + 1}/{self.frames}", font=self.font,
                  fill=(255, 255, 0), stroke_width=2, stroke_fill=(0, 0, 0))
        return image.tobytes()


def _fitted(path: Path, width: int, height: int) -> np.ndarray:
    """The image scaled to the clip's size, as Wan2GP fits a start or end image to the output."""
    with Image.open(path) as opened:
        return np.asarray(opened.convert("RGB").resize((width, height)), dtype=np.float32)


def _thumbnail(path: Path, height: int) -> Image.Image:
    with Image.open(path) as opened:
        picture = opened.convert("RGB")
    width = max(1, round(picture.width * height / max(1, picture.height)))
    return picture.resize((width, height), Image.Resampling.BILINEAR)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one fixed-size bitmap font
        return ImageFont.load_default()


class RenderCancelled(Exception):
    pass


def write_mp4(
    path: Path,
    painter: FramePainter,
    fps: float,
    metadata: dict[str, Any],
    *,
    audio: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Encode painter's frames to `path`, atomically (a partial file never has the final name)."""
    partial = path.with_name(path.stem + ".partial" + path.suffix)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{painter.width}x{painter.height}", "-r", f"{fps:g}",
           "-i", "-"]
    if audio:
        seconds = painter.frames / fps
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=48000:duration={seconds:.6f}"]
    cmd += ["-map", "0:v"] + (["-map", "1:a", "-c:a", "aac", "-b:a", "96k"] if audio else [])
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", "-pix_fmt", "yuv420p",
            "-frames:v", str(painter.frames), "-movflags", "+faststart+use_metadata_tags",
            "-metadata", f"comment={json.dumps(metadata, sort_keys=True)}", str(partial)]
    pipe_frames(cmd, (painter.paint(index) for index in range(painter.frames)), partial, path,
                should_stop=should_stop, stopped=RenderCancelled)


def write_png(path: Path, painter: FramePainter, metadata: dict[str, Any]) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("comment", json.dumps(metadata, sort_keys=True))
    image = Image.frombytes("RGB", (painter.width, painter.height), painter.paint(0))
    partial = path.with_name(path.stem + ".partial.png")
    image.save(partial, pnginfo=info)
    os.replace(partial, path)


def write_wav(path: Path, seconds: float, seed: int, metadata: dict[str, Any]) -> None:
    """A tone (its pitch from the seed) of the asked length, the settings in its comment, atomically."""
    partial = path.with_name(path.stem + ".partial" + path.suffix)
    frequency = 220 + seed % 440
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
           "-i", f"sine=frequency={frequency}:sample_rate=48000:duration={seconds:.6f}",
           "-metadata", f"comment={json.dumps(metadata, sort_keys=True)}", "-c:a", "pcm_s16le", str(partial)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed: {done.stderr.strip()[-500:]}")
    os.replace(partial, path)


def read_clip_metadata(path: Path) -> dict[str, Any]:
    """The settings JSON embedded in a clip's comment tag ({} when there is none)."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path),
                             "-f", "ffmetadata", "-"], capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("comment="):
            try:
                return json.loads(line.removeprefix("comment=").replace("\\=", "=").replace("\\;", ";")
                                  .replace("\\#", "#").replace("\\\\", "\\"))
            except json.JSONDecodeError:
                return {}
    return {}
