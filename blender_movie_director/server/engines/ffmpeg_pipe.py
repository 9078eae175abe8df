"""Raw frames piped into an ffmpeg that writes a clip, atomically: ffmpeg writes a partial file that
takes the final name only once it is complete; stopped or failed, the partial file is removed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path


def pipe_frames(cmd: list[str], frames: Iterable[bytes], partial: Path, path: Path, *,
                should_stop: Callable[[], bool], stopped: Callable[[], BaseException]) -> int:
    """Run `cmd` (its output: `partial`, its input: raw frames on stdin), feed it `frames`, and rename
    `partial` to `path`. Before each frame `should_stop()` is asked (true: `stopped()` is raised).
    Returns how many frames were written."""
    process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None
    count = 0
    try:
        for frame in frames:
            if should_stop():
                raise stopped()
            process.stdin.write(frame)
            count += 1
        process.stdin.close()
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.wait() != 0:
            raise RuntimeError(f"ffmpeg failed: {stderr.strip()[-500:]}")
        os.replace(partial, path)
    except BaseException:
        process.kill()
        process.wait()
        partial.unlink(missing_ok=True)
        raise
    return count
