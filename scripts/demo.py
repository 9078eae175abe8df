#!/usr/bin/env python3
"""The demo: headless Blender directs a short sequence through the add-on and the simulated server.

Five shots from storyboard text strips in a 24 fps scene (scripts/demo_sequence.py): models at 16, 24
and 30 fps each retimed to play at real speed, exactly as long as its text strip; a first + last
frame shot; a shot that extends the one before; three takes of one shot, one kept. Then the .blend is
saved, the strips are listed, and a contact sheet (each shot's first, middle and last frame as the
scene shows it) is written to demo_output/contact_sheet.png. Last, a small 3D scene (a cube crossing the
frame, a camera pushing in) on the timeline drives a VACE shot through Blender's own depth
(scripts/demo_control.py, demo_output/control_sheet.png). Between the two, a preset of the user's own, two
LoRAs and a cast member on a reference-image model make one more shot, which is upscaled, smoothed and given
sound, and the library lists every clip and places one again (scripts/demo_looks.py). Run with the bpy
environment (`make demo`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "demo_output"
sys.path.insert(0, str(REPO))
os.environ["BLENDER_USER_RESOURCES"] = str(OUT / "blender_user")  # keep the user's own Blender out of it
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


import bpy  # noqa: E402, F401  (first: it puts Blender's own modules, addon_utils, on the path)

from blender_movie_director.launcher import process as launcher  # noqa: E402
from devtools.blender import enable_addon  # noqa: E402


def main() -> int:
    OUT.mkdir(exist_ok=True)
    print("starting the simulated Director server…", flush=True)
    server = launcher.start_server(launcher.LaunchConfig(
        python=launcher.find_server_python(), state_dir=OUT / "server", output_dir=OUT / "server" / "outputs",
        port=0, step_seconds=0.03, allow_test_controls=True))
    try:
        return direct(server)
    finally:
        server.stop()


def direct(server) -> int:
    import demo_sequence  # beside this script

    addon = enable_addon(server.url)
    (OUT / "frames").mkdir(exist_ok=True)
    result = demo_sequence.direct(addon, OUT)
    clips = result["clips"]
    print(f"\n{len(clips)} shots directed and placed in {result['seconds']:.1f} s; saved "
          f"{result['blend'].relative_to(REPO)}\n")
    for line in demo_sequence.table(result):
        print(line)
    fits = all((c.frame_final_start, c.frame_final_duration) == (t.frame_final_start, t.frame_final_duration)
               for _, t, c in clips)
    print(f"\nevery clip covers exactly its text strip: {fits}; kept take: {result['kept']!r}, the other takes in "
          f"{result['takes_folder'].relative_to(REPO)}/ ({len(list(result['takes_folder'].glob('*.mp4')))} clips)")
    stats = addon.ui.tick.tick_stats()
    print(f"main-thread tick: median {stats['median_ms']:.3f} ms, worst {stats['worst_ms']:.1f} ms "
          f"over {stats['ticks']} ticks while jobs ran")
    sheet = demo_sequence.contact_sheet(result, OUT)
    print(f"contact sheet: {sheet.relative_to(REPO)}")

    import demo_looks  # beside this script: a preset, two LoRAs, a cast member; finishing; the library

    looks = demo_looks.show(addon, OUT)
    print()
    for line in demo_looks.lines(looks):
        print(line)

    import demo_control  # beside this script: a 3D animatic drives a VACE shot through its depth

    control = demo_control.direct(addon, OUT)
    print()
    for line in demo_control.summary(control):
        print(line)
    print(f"control sheet: {demo_control.sheet(control, OUT).relative_to(REPO)}")
    return 0 if len(clips) >= 5 and fits and control["worst_px"] < 8 and len(looks["finished"]) == 3 else 1


if __name__ == "__main__":
    sys.exit(main())
