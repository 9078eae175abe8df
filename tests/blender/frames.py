"""Which frame of a clip Blender shows at a scene frame: the sequencer renders the frame, and it is
matched against the clip's own frames decoded by ffmpeg (each simulated frame differs from its
neighbours: a moving bar, a shifting pattern, the frame number drawn on it)."""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

import bpy
import imageio_ffmpeg
import numpy as np
from PIL import Image

SAME = 12.0  # mean absolute difference (0-255) below which two pictures are the same frame


def decode(path: Path, width: int, height: int) -> np.ndarray:
    """All frames of a clip as float32 arrays (frames, height, width, 3)."""
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3).astype(np.float32)


def prepare(scene: bpy.types.Scene, width: int, height: int) -> None:
    """Render the sequencer 1:1 at the clips' size, with no view transform changing the colours."""
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"


def render(scene: bpy.types.Scene, frame: int, folder: Path) -> np.ndarray:
    scene.frame_set(frame)
    scene.render.filepath = str(folder / f"frame_{frame:05d}.png")
    with contextlib.redirect_stdout(io.StringIO()):
        bpy.ops.render.render(write_still=True)
    return np.asarray(Image.open(scene.render.filepath).convert("RGB"), dtype=np.float32)


def shown(scene: bpy.types.Scene, frame: int, clip: np.ndarray, folder: Path) -> int | None:
    """The index (0-based) of the clip frame on screen at scene `frame`, None if it is not this clip."""
    picture = render(scene, frame, folder)
    if picture.shape != clip.shape[1:]:
        raise AssertionError(f"rendered {picture.shape}, the clip is {clip.shape[1:]}")
    errors = np.abs(clip - picture[None]).mean(axis=(1, 2, 3))
    best = int(errors.argmin())
    return best if errors[best] < SAME else None
