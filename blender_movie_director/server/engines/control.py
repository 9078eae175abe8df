"""The simulated engine honours a control video: its clip follows the control, frame by frame.

Wan2GP resamples a control video to the model's frame rate and size, reads it the way its
video_prompt_type letters say (common/control.py guide_process) and generates what the control
shows. The simulated engine does the same arithmetic without a model: it decodes the control (and the
mask) at the clip's fps and size, turns each frame into a map the way the letters ask (the frames as
they are, a stand-in "estimated" depth from their brightness, edges for pose, canny and shapes), and
lays that map over its pattern, so whatever moves in the control moves at the same place in the clip.
With a mask ("A"), only the masked region is generated; outside it the control's own frames show, as
in Wan2GP's inpainting.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from ...common.control import guide_process
from .render import FramePainter, ffmpeg_exe

CONTROL_WEIGHT = 0.75  # how much of a generated frame is the control's map (the rest: the pattern, the text)
DECODE_SECONDS = 120.0


def decode_frames(path: Path, width: int, height: int, fps: float, frames: int) -> np.ndarray:
    """The first `frames` frames of a video resampled to `fps` and scaled to width x height, as uint8
    RGB (frames, height, width, 3); a shorter video holds its last frame (as Wan2GP pads a guide)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path),
           "-vf", f"fps={fps:g},scale={width}:{height}:flags=area", "-frames:v", str(frames),
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    done = subprocess.run(cmd, capture_output=True, timeout=DECODE_SECONDS, check=False)
    size = width * height * 3
    count = len(done.stdout) // size
    if done.returncode != 0 or count == 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no frame"]
        raise ValueError(f"the control video {path.name} could not be decoded: {reason[0][:200]}")
    decoded = np.frombuffer(done.stdout[:count * size], np.uint8).reshape(count, height, width, 3)
    if count < frames:
        decoded = np.concatenate([decoded, np.repeat(decoded[-1:], frames - count, axis=0)])
    return decoded


def luminance(rgb: np.ndarray) -> np.ndarray:
    """0–1 brightness of uint8 RGB frames (..., height, width)."""
    return (rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255.0


def edges(gray: np.ndarray) -> np.ndarray:
    """A 0–1 edge map (gradient magnitude, a stand-in for canny, shapes and pose estimators)."""
    gx = np.zeros_like(gray)
    gy = np.zeros_like(gray)
    gx[:, 1:-1] = gray[:, 2:] - gray[:, :-2]
    gy[1:-1, :] = gray[2:, :] - gray[:-2, :]
    magnitude = np.hypot(gx, gy)
    top = float(magnitude.max())
    return np.clip(magnitude / top * 2.0, 0.0, 1.0) if top > 1e-6 else magnitude


def read_map(rgb: np.ndarray, process: str) -> np.ndarray:
    """What the model reads of one control frame: a 0–1 map (height, width)."""
    gray = luminance(rgb)
    if process in ("pose", "edges", "shapes"):
        return edges(gray)
    return gray  # raw (a prepared map: depth, lines), an "estimated" depth, gray levels, flow, inpaint


class ControlledPainter(FramePainter):
    """A FramePainter whose frames follow a control video (and a mask): it paints the given painter's
    frame, then lays the control over it (it draws nothing of its own, so it does not call its base)."""

    def __init__(self, painter: FramePainter, control: Path, letters: str, fps: float,
                 mask: Path | None = None) -> None:
        self.painter = painter
        self.width, self.height, self.frames = painter.width, painter.height, painter.frames
        self.process = guide_process(letters)
        self.control = decode_frames(control, self.width, self.height, fps, self.frames)
        self.mask = None
        if mask is not None and "A" in letters:
            inside = luminance(decode_frames(mask, self.width, self.height, fps, self.frames)) > 0.5
            self.mask = ~inside if "N" in letters else inside  # "N": the mask negated

    def paint(self, index: int) -> bytes:
        pattern = np.frombuffer(self.painter.paint(index), np.uint8).reshape(self.height, self.width, 3)
        frame = self.control[min(index, len(self.control) - 1)]
        if self.process == "inpaint":  # the region is made anew: the pattern alone
            made = pattern.astype(np.float32)
        else:
            read = read_map(frame, self.process)[..., None]
            made = pattern.astype(np.float32) * (1.0 - CONTROL_WEIGHT) + read * (255.0 * CONTROL_WEIGHT)
        if self.mask is not None:  # generated inside the mask only; the control's own frames outside it
            inside = self.mask[min(index, len(self.mask) - 1)][..., None]
            made = np.where(inside, made, frame.astype(np.float32))
        return np.clip(made, 0, 255).astype(np.uint8).tobytes()


def controlled(painter: FramePainter, letters: str, fps: float, control: Path | None,
               mask: Path | None) -> FramePainter:
    """The painter itself without a control video, else one that follows it."""
    if control is None:
        return painter
    return ControlledPainter(painter, control, letters or "V", fps, mask)
