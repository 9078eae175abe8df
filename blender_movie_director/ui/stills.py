"""Media for a model's inputs: an image strip's file, a frame of the scene rendered to a PNG, or the
part of a movie strip the timeline shows, written to a short mp4."""

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


def movie_tail(strip, max_frames: int) -> Path:
    """The last `max_frames` (at most) of what a trimmed movie strip shows, at the movie's own frame
    rate and size, as an mp4 in the clips folder's stills/ (for a model to continue it). Blender's own
    encoder writes it, from a scene made for that and removed after."""
    source = bpy.path.abspath(strip.filepath)
    first = int(strip.frame_offset_start)
    last = int(strip.frame_offset_start + strip.frame_final_duration) - 1  # content frames shown, 0-based
    first = max(first, last - max_frames + 1)
    target = addon.output_dir() / "stills" / f"tail_{Path(source).stem[:40]}_{time.time_ns() // 1_000_000}.mp4"
    target.parent.mkdir(parents=True, exist_ok=True)
    scene = bpy.data.scenes.new("Movie Director cut")
    try:
        fps = float(strip.fps) or 24.0
        scene.render.fps, scene.render.fps_base = round(fps), round(fps) / fps
        element = strip.elements[0] if len(strip.elements) else None
        if element is not None and element.orig_width:
            scene.render.resolution_x, scene.render.resolution_y = element.orig_width, element.orig_height
        scene.render.resolution_percentage = 100
        scene.view_settings.view_transform = "Standard"  # the clip's own colours, no film look
        editor = scene.sequence_editor_create()
        collection = editor.strips if hasattr(editor, "strips") else editor.sequences
        copy = collection.new_movie(name="cut", filepath=source, channel=1, frame_start=1)
        copy.frame_offset_start = first
        copy.frame_offset_end = max(0, int(copy.frame_duration) - 1 - last)
        scene.frame_start, scene.frame_end = int(copy.frame_final_start), int(copy.frame_final_end) - 1
        settings = scene.render.image_settings
        if hasattr(settings, "media_type"):  # 5.0+
            settings.media_type = "VIDEO"
        settings.file_format = "FFMPEG"
        scene.render.ffmpeg.format, scene.render.ffmpeg.codec = "MPEG4", "H264"
        scene.render.filepath = str(target)
        bpy.ops.render.render(animation=True, scene=scene.name)
    finally:
        bpy.data.scenes.remove(scene)
    if not target.is_file():
        raise RuntimeError(f"Blender wrote no clip of {strip.name}'s last frames")
    return target
