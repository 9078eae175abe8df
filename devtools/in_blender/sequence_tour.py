"""Runs INSIDE the real Blender program (`blender --python sequence_tour.py -- request.json`, with a
window): a sequence directed from text strips, the way a user does it, one step at a time (driver.py).

Three text strips in a 24 fps scene; Shots from Text Strips; the last shot gets a model of its own
(Hunyuan, 24 fps: no retiming); Generate All in the Sequencer, as its button does; the shots render
on the simulated server while the window draws; each clip lands above its text strip. The report has,
per shot, its text strip, its clip and the Speed strip that retimes it (the tests decode the clips).

Writes results/sequence.json after every step (the traceback on a failure), then quits Blender.
Imports nothing from the repository but driver.py: the code under test is the installed extension.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy

sys.path.insert(0, str(Path(__file__).resolve().parent))  # driver.py, copied beside this script
import driver
from driver import REQUEST, Wait, manager, sequencer_context, strip_collection, strip_facts

SHOTS = (("Wide shot: a harbour at dawn, fishing boats at anchor", 1, 36, ""),
         ("Close-up: a gull lands on a wooden post", 37, 30, ""),
         ("The boats leave the harbour one by one", 67, 24, "hunyuan"))

tour_driver = driver.Driver("sequence.json", failure_screenshot="sequence-failed")
report = tour_driver.report
step = tour_driver.step


def screenshot(name: str, **facts):
    driver.scroll_sidebar(down=True)  # the Shots panel is near the Director tab's end, above Control and Library
    driver.scroll_sidebar(down=False, notches=4)
    yield from tour_driver.screenshot(name, **facts)


def text_strip(editor, text: str, start: int, length: int):
    kind = {"length": length} if bpy.app.version >= (5, 0, 0) else {"frame_end": start + length}
    strip = strip_collection(editor).new_effect(name=text[:20], type="TEXT", channel=1, frame_start=start, **kind)
    strip.text = text
    strip.font_size = 40
    return strip


def shot_facts(scene, strip) -> dict:
    shots, timing = driver.ui("shots"), driver.ui("timing")
    status = shots.status_of(scene, strip)
    clips = sorted(shots.clips_of(scene, strip.movie_director_shot.uid), key=lambda c: c.channel)
    out = {"uid": strip.movie_director_shot.uid, "status": status.state, "text": strip_facts(strip),
           "job": status.record.id if status.record else None, "clips": []}
    for clip in clips:
        speed = timing.speed_strip_of(scene, clip)
        out["clips"].append({**strip_facts(clip), "clip_path": bpy.path.abspath(clip.filepath),
                             "movie_frames": int(clip.frame_duration),
                             "speed": strip_facts(speed) if speed is not None else None})
    return out


def tour():
    yield from tour_driver.close_splash()
    driver.save_as(REQUEST["blend"])  # clips go to //movie_director/ beside it
    yield from driver.open_director_tab()
    yield from driver.connect()
    step("connected")

    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end, scene.frame_current = 1, 96, 1
    props = scene.movie_director
    props.model, props.resolution, props.steps = "t2v_1.3B", "448x256", int(REQUEST.get("steps", 6))
    driver.ui("cast").add_member(scene, "Keeper")  # each shot's cast buttons show the cast
    editor = scene.sequence_editor_create()
    made = [text_strip(editor, text, start, length) for text, start, length, _ in SHOTS]
    for strip in driver.strips():
        strip.select = True
    with bpy.context.temp_override(**sequencer_context()):
        if bpy.ops.movie_director.shots_from_text_strips() != {"FINISHED"}:
            raise RuntimeError("Shots from Text Strips did not finish")
        bpy.ops.sequencer.view_all()
    for strip, (_, _, _, model) in zip(made, SHOTS, strict=True):
        if model:
            with bpy.context.temp_override(**sequencer_context()):
                bpy.ops.movie_director.shot_set_model(uid=strip.movie_director_shot.uid, model=model)
    step("shots made", shots=[shot_facts(scene, s) for s in made])
    yield from screenshot("sequence-shots")

    before = {r.id for r in manager().jobs()}
    with bpy.context.temp_override(**sequencer_context()):
        pressed = bpy.ops.movie_director.generate_all_shots()
    queued = [r.id for r in manager().jobs() if r.id not in before]
    step("generate all pressed", result=sorted(pressed), queued=queued,
         shots=[shot_facts(scene, s) for s in made])
    if pressed != {"FINISHED"} or len(queued) != len(SHOTS):
        raise RuntimeError(f"Generate All returned {sorted(pressed)} and queued {len(queued)} jobs")

    statuses: list[list[str]] = []

    def watch(done_when) -> bool:
        now = [driver.ui("shots").status_of(scene, s).state for s in made]
        if not statuses or statuses[-1] != now:
            statuses.append(now)
        return done_when(now)

    yield Wait(lambda: watch(lambda now: "rendering" in now or all(s == "done" for s in now)), 60,
               "a shot to render")
    if "rendering" in statuses[-1]:
        yield from screenshot("sequence-rendering", statuses=statuses[-1])
    yield Wait(lambda: watch(lambda now: all(driver.is_placed(j) for j in queued)), 180,
               "every shot's clip to land")
    report["observed"]["statuses"] = statuses
    report["shots"] = [shot_facts(scene, s) for s in made]
    report["jobs"] = {r.id: {"state": r.state.value, "error": r.error, "video_length": r.settings.video_length,
                             "model": r.settings.model_type} for r in manager().jobs()}
    step("every shot done", shots=report["shots"])
    scene.frame_current = 50
    with bpy.context.temp_override(**sequencer_context()):
        bpy.ops.sequencer.view_all()
    yield from screenshot("sequence-done")
    driver.save()
    step("saved")


tour_driver.run(tour())
