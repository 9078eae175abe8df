"""The control-video tour (devtools/in_blender/control_tour.py) and the sequence tour
(devtools/in_blender/sequence_tour.py) in the real Blender program, from the host
(devtools/real_blender_window.py runs them). Needs root.
"""

from __future__ import annotations

from pathlib import Path

from devtools import real_blender as rb
from devtools.real_blender_window import WindowTour, window_tour

ControlTour = WindowTour


def control_tour(zip_path: Path, server: rb.Server, results: Path, screenshots: Path,
                 timeout: float = 300.0) -> WindowTour:
    return window_tour("control_tour.py", "control.json", zip_path, server, results, screenshots,
                       blend="control.blend", helpers=("cube_scene.py",), timeout=timeout)


def sequence_tour(zip_path: Path, server: rb.Server, results: Path, screenshots: Path,
                  timeout: float = 300.0) -> WindowTour:
    return window_tour("sequence_tour.py", "sequence.json", zip_path, server, results, screenshots,
                       blend="sequence.blend", timeout=timeout)
