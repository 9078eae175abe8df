"""Still images for image inputs: an image strip's file, or a frame of the scene rendered to a PNG."""

from __future__ import annotations

import time
from pathlib import Path

import bpy

from . import addon


def image_strip_file(strip) -> Path | None:
    """The file an image strip shows (its first image), if it exists."""
    if strip is None or strip.type != "IMAGE" or not len(strip.elements):
        return None
    path = Path(bpy.path.abspath(strip.directory)) / strip.elements[0].filename
    return path if path.is_file() else None


def render_frame(scene: bpy.types.Scene, frame: int, tag: str = "frame") -> Path:
    """The scene as it looks at `frame`, rendered at full size into the clips folder's stills/."""
    target = addon.output_dir() / "stills" / f"{tag}_{frame:05d}_{time.time_ns() // 1_000_000}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    render = scene.render
    saved = (render.filepath, render.image_settings.file_format, render.resolution_percentage, scene.frame_current)
    try:
        render.filepath = str(target)
        render.image_settings.file_format = "PNG"
        render.resolution_percentage = 100
        scene.frame_set(frame)
        bpy.ops.render.render(write_still=True, scene=scene.name)
    finally:
        render.filepath, render.image_settings.file_format, render.resolution_percentage = saved[:3]
        scene.frame_set(saved[3])
    if not target.is_file():
        raise RuntimeError(f"Blender rendered no image of frame {frame}")
    return target
