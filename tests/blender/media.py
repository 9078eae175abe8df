"""What a clip file holds, read with ffmpeg (imageio-ffmpeg) in the test's own Python: the settings in its
comment tag, its picture size and sound, the colours of one of its frames."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np


def read_metadata(path: Path) -> dict:
    """The settings JSON a clip carries in its comment tag ({} when none)."""
    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
                          capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("comment="):
            text = line.removeprefix("comment=")
            return json.loads(text.replace("\\=", "=").replace("\\;", ";").replace("\\#", "#").replace("\\\\", "\\"))
    return {}


def stream_facts(path: Path) -> dict:
    """{'size': (width, height) or None, 'audio': bool} from ffmpeg's description of the file."""
    text = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True, check=False).stderr
    video = next((line for line in text.splitlines() if "Video:" in line), "")
    size = re.search(r"\b(\d{2,5})x(\d{2,5})\b", video)
    return {"size": (int(size[1]), int(size[2])) if size else None, "audio": "Audio:" in text}


def frame_colours(path: Path, index: int) -> dict[str, int]:
    """How many pixels of frame `index` are plainly red and plainly blue."""
    width, height = stream_facts(path)["size"]
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    frame = np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)[index].astype(int)
    red = (frame[..., 0] > 200) & (frame[..., 1] < 70) & (frame[..., 2] < 70)
    blue = (frame[..., 2] > 200) & (frame[..., 0] < 70) & (frame[..., 1] < 70)
    return {"red": int(red.sum()), "blue": int(blue.sum())}
