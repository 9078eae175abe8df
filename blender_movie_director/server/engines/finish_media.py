"""Frame-level helpers for finishing clips without a GPU: read a clip's frames, write frames as an mp4,
mux a sound track, change a clip's frame rate. Each writes atomically (a partial file never has the
final name) through the ffmpeg of imageio-ffmpeg (render.ffmpeg_exe)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .ffmpeg_pipe import pipe_frames
from .render import ffmpeg_exe


def read_frames(path: Path, width: int, height: int) -> Iterator[np.ndarray]:
    """The clip's frames as (height, width, 3) uint8 arrays, decoded one at a time."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "rawvideo",
           "-pix_fmt", "rgb24", "-"]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    size = width * height * 3
    try:
        while True:
            chunk = process.stdout.read(size)
            if len(chunk) < size:
                break
            yield np.frombuffer(chunk, dtype=np.uint8).reshape(height, width, 3)
    finally:
        process.stdout.close()
        process.kill()
        process.wait()


def write_frames(path: Path, frames: Iterable[np.ndarray], width: int, height: int, fps: float,
                 metadata: dict[str, Any], *, should_stop: Callable[[], bool] = lambda: False,
                 audio_from: Path | None = None) -> int:
    """Encode frames (each (height, width, 3) uint8) as an H.264 mp4 at `fps`; returns how many. With
    `audio_from`, that file's sound track is carried over."""
    partial = path.with_name(path.stem + ".partial" + path.suffix)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-"]
    if audio_from is not None:
        cmd += ["-i", str(audio_from), "-map", "0:v", "-map", "1:a?", "-c:a", "copy"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "22", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart+use_metadata_tags", "-metadata", f"comment={json.dumps(metadata, sort_keys=True)}",
            str(partial)]
    return pipe_frames(cmd, (np.ascontiguousarray(frame, dtype=np.uint8).tobytes() for frame in frames), partial,
                       path, should_stop=should_stop, stopped=lambda: InterruptedError("finishing cancelled"))


def sound_recipe(prompt: str, seed: int) -> str:
    """An ffmpeg audio expression: a two-note chord whose notes come from the prompt and seed, under a
    slow swell, so two prompts sound different and a test can tell a track is there."""
    digest = hashlib.sha256(f"{prompt}|{seed}".encode()).digest()
    low = 110 + digest[0] % 110
    high = low * (1.25 + (digest[1] % 3) * 0.125)
    return f"0.25*(sin(2*PI*{low}*t)+0.6*sin(2*PI*{high:.2f}*t))*(0.6+0.4*sin(2*PI*0.5*t))"


def add_sound_track(source: Path, target: Path, seconds: float, prompt: str, seed: int,
                    metadata: dict[str, Any]) -> None:
    """`source`'s picture, unchanged, with a generated sound track as long as the picture."""
    partial = target.with_name(target.stem + ".partial" + target.suffix)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-f", "lavfi",
           "-i", f"aevalsrc={sound_recipe(prompt, seed)}:s=48000:d={max(0.05, seconds):.6f}",
           "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-shortest",
           "-movflags", "+faststart+use_metadata_tags", "-metadata",
           f"comment={json.dumps(metadata, sort_keys=True)}", str(partial)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed: {done.stderr.strip()[-500:]}")
    os.replace(partial, target)


def change_frame_rate(source: Path, target: Path, fps: float, metadata: dict[str, Any] | None = None) -> None:
    """`source` resampled to `fps` (frames dropped or repeated evenly; its sound kept)."""
    partial = target.with_name(target.stem + ".partial" + target.suffix)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-vf", f"fps={fps:g}",
           "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "copy",
           "-movflags", "+faststart+use_metadata_tags"]
    if metadata is not None:
        cmd += ["-metadata", f"comment={json.dumps(metadata, sort_keys=True)}"]
    done = subprocess.run([*cmd, str(partial)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed: {done.stderr.strip()[-500:]}")
    os.replace(partial, target)


def blend_to_rate(frames: list[np.ndarray], source_fps: float, target_fps: float, count: int) -> Iterator[np.ndarray]:
    """Frame interpolation by cross-fading neighbours: `count` frames at `target_fps` spanning the clip."""
    last = len(frames) - 1
    for index in range(count):
        position = min(last, index * source_fps / target_fps)
        before = int(position)
        weight = position - before
        if weight < 1e-6 or before >= last:
            yield frames[before]
        else:
            mixed = frames[before].astype(np.float32) * (1 - weight) + frames[before + 1].astype(np.float32) * weight
            yield mixed.astype(np.uint8)
