"""Directing a sequence in real Blender against the simulated server: the shot list, first + last frame,
Extend, variations and Keep, placeholders as their job's handle, readable strip names."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import bpy
import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from devtools.recording_layout import RecordingLayout
from tests.blender.media import frame_colours
from tests.waiting import wait_until

SIZE = "448x256"


def strips(scene):
    editor = scene.sequence_editor
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all) if editor else []


def collection(scene):
    editor = scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def clips(scene):
    return sorted((s for s in strips(scene) if "bmd_model" in s), key=lambda s: (s.frame_final_start, s.channel))


def placeholders(scene):
    return [s for s in strips(scene) if s.get("bmd_placeholder")]


def text_strip(scene, text: str, channel: int, start: int, length: int):
    kind = {"length": length} if bpy.app.version >= (5, 0, 0) else {"frame_end": start + length}
    strip = collection(scene).new_effect(name=text[:20], type="TEXT", channel=channel, frame_start=start, **kind)
    strip.text = text
    return strip


def image_file(folder: Path, name: str, colour: tuple[float, float, float, float]) -> Path:
    image = bpy.data.images.new(name, 64, 64)
    image.pixels = list(colour) * (64 * 64)
    image.filepath_raw = str(folder / f"{name}.png")
    image.file_format = "PNG"
    image.save()
    return folder / f"{name}.png"


def shot_settings(scene, model: str = "t2v_1.3B", prompt: str = "a harbour at dawn", seconds: float = 1.0) -> None:
    props = scene.movie_director
    props.model, props.prompt, props.resolution, props.steps = model, prompt, SIZE, 2
    props.use_seconds, props.seconds, props.channel = True, seconds, 2


@pytest.fixture
def done(addon, drive):
    manager = addon.ui.addon.manager()

    def wait(timeout: float = 60.0) -> None:
        drive(lambda: all(r.state.is_terminal for r in manager.jobs()) and not addon.ui.tick._waiting, timeout)

    return wait


def jobs(addon):
    return addon.ui.addon.manager().jobs()


def errors(addon):
    return [r.error for r in jobs(addon) if r.error and r.state.value == "failed"] + \
        list(addon.ui.tick._placement_errors.values())


# -- the shot list


def test_shots_from_text_strips_generate_all_skip_and_status(addon, scene, done) -> None:
    shot_settings(scene)
    first = text_strip(scene, "Wide shot: a harbour at dawn", 1, 1, 36)
    second = text_strip(scene, "Close-up: a gull lands on a post", 1, 37, 30)
    third = text_strip(scene, "The boats leave the harbour", 1, 67, 24)
    for strip in strips(scene):
        strip.select = False
    assert bpy.ops.movie_director.shots_from_text_strips() == {"FINISHED"}  # none selected: all of them
    shots = addon.ui.shots
    assert [s.name for s in shots.shots_of(scene)] == [first.name, second.name, third.name]
    assert [shots.status_of(scene, s).state for s in shots.shots_of(scene)] == ["draft"] * 3
    second.movie_director_shot.skip = True
    third.movie_director_shot.model = "hunyuan"  # a shot of its own model (24 fps)

    assert bpy.ops.movie_director.generate_all_shots() == {"FINISHED"}
    assert shots.status_of(scene, first).state in ("queued", "rendering")
    assert shots.status_of(scene, second).state == "skipped"
    done()
    assert not errors(addon), errors(addon)
    assert [shots.status_of(scene, s).state for s in (first, second, third)] == ["done", "skipped", "done"]
    placed = {c["bmd_shot"]: c for c in clips(scene)}
    for text in (first, third):  # each clip exactly at its shot, on the channel above it
        clip = placed[text.movie_director_shot.uid]
        assert (clip.channel, clip.frame_final_start, clip.frame_final_duration) == (
            2, text.frame_final_start, text.frame_final_duration)
    assert placed[third.movie_director_shot.uid]["bmd_model"] == "hunyuan"

    # Generate All again: only what is not done (the skipped shot, once it is not skipped)
    second.movie_director_shot.skip = False
    assert bpy.ops.movie_director.generate_all_shots() == {"FINISHED"}
    assert len([r for r in jobs(addon) if not r.state.is_terminal]) == 1
    done()
    assert [shots.status_of(scene, s).state for s in (first, second, third)] == ["done"] * 3
    row = clips(scene)
    assert [c.frame_final_start for c in row] == [1, 37, 67] and {c.channel for c in row} == {2}

    # reorder by moving strips: the list follows the timeline
    third.frame_start = 200
    assert shots.shots_of(scene)[-1] == third and shots.shots_of(scene)[0] == first
    # regenerate one: a new clip for that shot lands at its (new) place
    assert bpy.ops.movie_director.generate_shot(uid=third.movie_director_shot.uid) == {"FINISHED"}
    done()
    newest = max(shots.clips_of(scene, third.movie_director_shot.uid), key=lambda c: c.frame_final_start)
    assert (newest.frame_final_start, newest.frame_final_duration) == (200, 24)


def test_the_shot_list_exports_as_a_wan2gp_queue_and_its_outputs_land_at_their_shots(
        addon, scene, done, server, tmp_path: Path) -> None:
    import json
    import shutil
    import zipfile

    shot_settings(scene)
    done_first = text_strip(scene, "Wide shot: a harbour at dawn", 1, 1, 36)
    gull = text_strip(scene, "Close-up: a gull lands on a post", 1, 37, 30)
    boats = text_strip(scene, "The boats leave the harbour", 1, 67, 24)
    skipped = text_strip(scene, "A storm rolls in", 1, 91, 20)
    assert bpy.ops.movie_director.shots_from_text_strips() == {"FINISHED"}
    skipped.movie_director_shot.skip = True
    boats.movie_director_shot.model = "hunyuan"  # 24 fps
    red, blue = image_file(tmp_path, "red", (1, 0, 0, 1)), image_file(tmp_path, "blue", (0, 0, 1, 1))
    gull.movie_director_shot.model = "i2v"
    gull.movie_director_shot.start_image, gull.movie_director_shot.end_image = str(red), str(blue)
    shots = addon.ui.shots
    assert bpy.ops.movie_director.generate_shot(uid=done_first.movie_director_shot.uid) == {"FINISHED"}
    done()
    assert shots.status_of(scene, done_first).state == "done"
    jobs_before = len(jobs(addon))

    queue_zip = tmp_path / "shots_queue.zip"
    assert bpy.ops.movie_director.export_shots_wan2gp_queue(filepath=str(queue_zip)) == {"FINISHED"}
    assert len(jobs(addon)) == jobs_before  # written to the file, not queued here
    uids = [gull.movie_director_shot.uid, boats.movie_director_shot.uid]  # not the done one, not the skipped one
    with zipfile.ZipFile(queue_zip) as archive:
        manifest = json.loads(archive.read("queue.json"))
        info = json.loads(archive.read("bmd_shots.json"))
        archive.extractall(tmp_path / "farm")
    assert [t["params"]["output_filename"] for t in manifest] == [f"bmd_{u}" for u in uids]
    assert [(s["slot"]["frame_start"], s["slot"]["frames"], s["slot"]["channel"]) for s in info["shots"]] == [
        (37, 30, 2), (67, 24, 2)]
    assert [t["params"]["model_type"] for t in manifest] == ["i2v", "hunyuan"]
    assert manifest[0]["params"]["video_length"] == 21  # 1.25 s at 16 fps on the 4n+1 grid; the slot is 30 frames

    # the farm: what `wgp.py --process shots_queue.zip --output-dir renders` leaves, one clip per task named
    # as the task says (rendered here by the simulated server from the task's own params and media)
    renders = tmp_path / "renders"
    renders.mkdir()
    with Wan2GPClient(server.url, output_dir=tmp_path / "made") as client:
        for task in manifest:
            params = task["params"]
            asked = {k: params[k] for k in ("model_type", "prompt", "video_length", "seed") if k in params}
            for key in ("image_start", "image_end"):
                if key in params:
                    asked[key] = str(tmp_path / "farm" / params[key])
            made = client.generate({**asked, "resolution": SIZE, "num_inference_steps": 2}, timeout=60)
            shutil.copy(made.video_path, renders / f"{params['output_filename']}.mp4")

    assert bpy.ops.movie_director.import_wan2gp_outputs(queue_file=str(queue_zip), directory=str(renders)) \
        == {"FINISHED"}
    assert [shots.status_of(scene, s).state for s in (done_first, gull, boats, skipped)] == [
        "done", "done", "done", "skipped"]
    timing = addon.ui.timing
    for text in (gull, boats):  # each exactly at its shot, retimed to play at real speed
        (clip,) = shots.clips_of(scene, text.movie_director_shot.uid)
        assert (clip.channel, clip.frame_final_start, clip.frame_final_duration) == (
            2, text.frame_final_start, text.frame_final_duration)
        speed = timing.speed_strip_of(scene, clip)
        assert speed is not None and (speed.channel, speed.frame_final_start, speed.frame_final_duration) == (
            3, text.frame_final_start, text.frame_final_duration)
    (gull_clip,) = shots.clips_of(scene, gull.movie_director_shot.uid)
    last = frame_colours(Path(gull_clip.filepath), int(gull_clip.frame_duration) - 1)
    assert last["blue"] > last["red"] * 10, last  # the end image travelled in the zip
    assert addon.ui.wan2gp_queue_ops.import_outputs(queue_zip, renders) == []  # placed once
    # nothing left to export: the done, the skipped
    with pytest.raises(RuntimeError, match="No shot to export"):
        bpy.ops.movie_director.export_shots_wan2gp_queue(filepath=str(tmp_path / "again.zip"))


def test_each_shot_has_its_own_cast_sent_as_reference_images_or_refused_naming_the_shot(
        addon, scene, done, tmp_path: Path) -> None:
    import json

    from tests.blender.media import read_metadata

    InvalidSettingsError = import_module(f"{addon.__name__}.common.errors").InvalidSettingsError

    shot_settings(scene, model="vace_1.3B")  # takes reference images
    cast = addon.ui.cast
    cast.add_member(scene, "Anna", [str(image_file(tmp_path, "anna", (1, 0, 0, 1)))])
    cast.add_member(scene, "Bob", [str(image_file(tmp_path, "bob", (0, 0, 1, 1)))], in_shot=True)  # the Shot panel's
    alone = text_strip(scene, "Anna alone at the window", 1, 1, 24)
    both = text_strip(scene, "Anna and Bob at the door", 1, 25, 24)
    nobody = text_strip(scene, "An empty street", 1, 49, 24)
    plain = text_strip(scene, "Bob in the rain", 1, 73, 24)
    assert bpy.ops.movie_director.shots_from_text_strips() == {"FINISHED"}
    for strip, members in ((alone, ["Anna"]), (both, ["Anna", "Bob"]), (plain, ["Bob"])):
        for name in members:  # as the shot's cast buttons do
            assert bpy.ops.movie_director.shot_cast(uid=strip.movie_director_shot.uid, member=name) == {"FINISHED"}
    plain.movie_director_shot.model = "t2v_1.3B"  # takes no reference images
    shots = addon.ui.shots

    with pytest.raises(InvalidSettingsError, match=r"Bob in the rain.*takes no reference images.*Bob") as refused:
        shots.queue_shot(scene, plain)
    assert refused.value.field == "cast"
    assert bpy.ops.movie_director.generate_all_shots() == {"FINISHED"}  # the other three; that one refused
    assert shots.status_of(scene, plain).state == "draft" and not plain.movie_director_shot.job_id
    done()
    assert not errors(addon), errors(addon)
    expected = {alone: (["Anna"], ["anna.png"]), both: (["Anna", "Bob"], ["anna.png", "bob.png"]), nobody: ([], [])}
    for strip, (names, images) in expected.items():
        (clip,) = shots.clips_of(scene, strip.movie_director_shot.uid)
        sent = read_metadata(Path(bpy.path.abspath(clip.filepath)))  # what the server's engine was given
        assert json.loads(clip["bmd_settings"]).get("cast", []) == names, (strip.text, clip["bmd_settings"])
        assert [Path(p).name for p in sent.get("image_refs") or []] == images, (strip.text, sent.get("image_refs"))
    # a member taken out of the shot, and one removed from the cast: refused, naming shot and member
    assert bpy.ops.movie_director.shot_cast(uid=both.movie_director_shot.uid, member="Bob", in_shot=False) \
        == {"FINISHED"}
    assert shots.cast_names(both) == ["Anna"]
    scene.movie_director_look.cast.remove(0)  # Anna
    with pytest.raises(InvalidSettingsError, match=r"Anna alone at the window.*Anna"):
        shots.queue_shot(scene, alone)
    scene.movie_director_look.cast.clear()


def test_a_shot_longer_than_one_window_says_so_splits_or_slides(addon, scene, done) -> None:
    shot_settings(scene, model="t2v_1.3B")  # one window of 97 frames, no sliding window
    long = text_strip(scene, "A slow pan along the cliffs", 1, 1, 150)  # 6.25 s = 101 frames at 16 fps
    addon.ui.shots.make_shot(long)
    status = addon.ui.shots.status_of(scene, long)
    assert status.state == "too long"
    before = len(jobs(addon))
    with pytest.raises(RuntimeError, match="too long"):
        bpy.ops.movie_director.generate_shot(uid=long.movie_director_shot.uid)
    assert len(jobs(addon)) == before and not placeholders(scene)  # refused before queueing

    assert bpy.ops.movie_director.split_shot(uid=long.movie_director_shot.uid) == {"FINISHED"}
    pieces = addon.ui.shots.shots_of(scene)
    assert [(p.frame_final_start, p.frame_final_duration) for p in pieces] == [(1, 75), (76, 75)]
    assert all(p.text == "A slow pan along the cliffs" for p in pieces)

    sliding = text_strip(scene, "The same pan with a sliding window", 5, 1, 150)
    addon.ui.shots.make_shot(sliding)
    sliding.movie_director_shot.model = "t2v"  # Wan 14B slides: 101 frames in one job, two windows
    assert addon.ui.shots.timing_of(scene, sliding).windows == 2
    assert bpy.ops.movie_director.generate_all_shots() == {"FINISHED"}
    done(120)
    assert not errors(addon), errors(addon)
    made = {(c.channel, c.frame_final_start, c.frame_final_duration, c["bmd_frames"]) for c in clips(scene)}
    assert made == {(2, 1, 75, 49), (2, 76, 75, 49), (6, 1, 150, 101)}


def test_the_shots_panel_shows_each_shot_its_timing_and_status(addon, scene, done) -> None:
    shot_settings(scene)
    text = text_strip(scene, "A lighthouse at dusk", 1, 1, 48)
    addon.ui.shots.make_shot(text)
    layout = RecordingLayout()
    bpy.types.MOVIE_DIRECTOR_PT_shots.draw(SimpleNamespace(layout=layout), bpy.context)
    shown = " ".join(layout.texts())
    assert "1. A lighthouse at dusk" in shown and "draft" in shown
    assert "2.0 s = 33 frames at 16 fps → 48 frames at 24 fps" in shown
    assert {"movie_director.generate_all_shots", "movie_director.generate_shot",
            "movie_director.first_last_frame"} <= set(layout.operators())
    shot = RecordingLayout()
    bpy.types.MOVIE_DIRECTOR_PT_generate.draw(SimpleNamespace(layout=shot), bpy.context)
    assert any(t.startswith("1.0 s = 17 frames at 16 fps → 24 frames at 24 fps") for t in shot.texts()), shot.texts()


# -- first + last frame, extend


def test_first_and_last_frame_from_two_image_strips(addon, scene, done, tmp_path: Path) -> None:
    shot_settings(scene, prompt="the sky turns from red to blue")
    red = collection(scene).new_image("red", str(image_file(tmp_path, "red", (1, 0, 0, 1))), 1, 10)
    blue = collection(scene).new_image("blue", str(image_file(tmp_path, "blue", (0, 0, 1, 1))), 1, 50)
    red.frame_final_duration = blue.frame_final_duration = 10
    for strip in strips(scene):
        strip.select = strip in (red, blue)
    assert bpy.ops.movie_director.first_last_frame(source="IMAGES") == {"FINISHED"}
    (record,) = [r for r in jobs(addon) if r.settings.prompt == "the sky turns from red to blue"]
    model = addon.ui.queueing.known_models()[record.settings.model_type]
    assert "image_end" in [m.value for m in model.media_inputs]
    assert record.settings.image_start.name == "red.png" and record.settings.image_end.name == "blue.png"
    done()
    assert not errors(addon), errors(addon)
    (clip,) = clips(scene)
    assert (clip.channel, clip.frame_final_start, clip.frame_final_duration) == (2, 10, 50)  # red's start to blue's end
    movie = Path(bpy.path.abspath(clip.filepath))  # the clip opens on the start image and ends on the end image
    first, last = frame_colours(movie, 0), frame_colours(movie, int(clip.frame_duration) - 1)
    assert first["red"] > first["blue"] * 10 and last["blue"] > last["red"] * 10, (first, last)
    assert last["blue"] > 448 * 256 // 2, last  # most of the picture: the captions are drawn over it


def test_first_and_last_frame_between_two_markers(addon, scene, done) -> None:
    shot_settings(scene, prompt="the gull takes off")
    text_strip(scene, "something to see", 1, 1, 100)
    scene.timeline_markers.new("from", frame=20)
    scene.timeline_markers.new("to", frame=60)
    scene.frame_current = 30  # between them: no selection needed
    assert bpy.ops.movie_director.first_last_frame(source="MARKERS") == {"FINISHED"}
    (record,) = [r for r in jobs(addon) if r.settings.prompt == "the gull takes off"]
    assert record.settings.image_start.is_file() and record.settings.image_end.is_file()
    assert scene.frame_current == 30  # rendering the two frames left the playhead where it was
    done()
    (clip,) = clips(scene)
    assert (clip.frame_final_start, clip.frame_final_end - 1) == (20, 60)  # first frame on one marker, last on the other


def test_first_and_last_frame_from_the_playhead_to_the_next_marker(addon, scene, done) -> None:
    shot_settings(scene, prompt="the tide comes in")
    text_strip(scene, "something to see", 1, 1, 100)
    scene.timeline_markers.new("lands", frame=40)
    scene.frame_current = 16
    assert bpy.ops.movie_director.first_last_frame(source="PLAYHEAD") == {"FINISHED"}
    done()
    (clip,) = [c for c in clips(scene) if c["bmd_prompt"] == "the tide comes in"]
    assert (clip.frame_final_start, clip.frame_final_end - 1) == (16, 40)


def test_extend_continues_a_clip_right_after_it_on_its_channel(addon, scene, done) -> None:
    shot_settings(scene, model="t2v_1.3B", prompt="a fox walks through snow")
    scene.frame_current = 5
    bpy.ops.movie_director.generate()
    done()
    (source,) = clips(scene)
    scene.sequence_editor.active_strip = source
    scene.movie_director.prompt = "the fox starts to run"
    assert bpy.ops.movie_director.extend() == {"FINISHED"}
    record = max(jobs(addon), key=lambda r: r.created_at)
    model = addon.ui.queueing.known_models()[record.settings.model_type]
    assert record.settings.video_source == Path(bpy.path.abspath(source.filepath))
    assert "video_source" in [m.value for m in model.media_inputs]
    done()
    assert not errors(addon), errors(addon)
    extension = next(c for c in clips(scene) if c != source)
    assert extension.channel == source.channel and extension.frame_final_start == source.frame_final_end
    assert extension["bmd_extends"] == source.name and extension["bmd_prompt"] == "the fox starts to run"
    fps = scene.render.fps
    assert extension.frame_final_duration == round(1.0 * fps)  # the panel's 1 s, at real speed


def test_a_shot_can_continue_the_previous_shots_clip(addon, scene, done) -> None:
    shot_settings(scene, model="t2v_1.3B")
    first = text_strip(scene, "A fox trots through the snow", 1, 1, 24)
    second = text_strip(scene, "The fox leaps into a drift", 1, 25, 36)
    for strip in (first, second):
        addon.ui.shots.make_shot(strip)
    second.movie_director_shot.extend_previous = True
    assert addon.ui.shots.status_of(scene, second).state == "waiting"
    assert bpy.ops.movie_director.generate_all_shots() == {"FINISHED"}  # the first; the second waits for it
    done()
    assert addon.ui.shots.status_of(scene, second).state == "draft"
    assert bpy.ops.movie_director.generate_all_shots() == {"FINISHED"}
    record = max(jobs(addon), key=lambda r: r.created_at)
    (before,) = addon.ui.shots.clips_of(scene, first.movie_director_shot.uid)
    assert record.settings.video_source == Path(bpy.path.abspath(before.filepath))
    assert "video_source" in [m.value for m in addon.ui.queueing.known_models()[record.settings.model_type].media_inputs]
    done()
    assert not errors(addon), errors(addon)
    (after,) = addon.ui.shots.clips_of(scene, second.movie_director_shot.uid)
    assert (after.channel, after.frame_final_start, after.frame_final_duration) == (2, 25, 36)


def test_extend_a_trimmed_movie_continues_what_the_timeline_shows(addon, scene, done) -> None:
    import numpy as np

    from tests.blender import frames

    shot_settings(scene, model="t2v_1.3B", prompt="waves roll in")
    bpy.ops.movie_director.generate()
    done()
    (made,) = clips(scene)
    footage = collection(scene).new_movie("footage", bpy.path.abspath(made.filepath), 6, 100)  # not generated
    footage.frame_offset_start, footage.frame_offset_end = 3, 5  # shows content frames 3..11 of 17
    scene.sequence_editor.active_strip = footage
    scene.movie_director.prompt = "the waves break on the rocks"
    assert bpy.ops.movie_director.extend() == {"FINISHED"}
    record = max(jobs(addon), key=lambda r: r.created_at)
    width, height = (int(v) for v in SIZE.split("x"))
    original = frames.decode(Path(bpy.path.abspath(made.filepath)), width, height)
    sent = frames.decode(record.settings.video_source, width, height)
    assert len(sent) == 9  # the nine frames the strip shows
    for shown, frame in ((0, 3), (8, 11)):
        errors = np.abs(original - sent[shown][None]).mean(axis=(1, 2, 3))
        assert int(errors.argmin()) == frame and errors.min() < frames.SAME
    done()
    extension = next(c for c in clips(scene) if c.get("bmd_extends") == footage.name)
    assert (extension.channel, extension.frame_final_start) == (6, footage.frame_final_end)


# -- variations and keep


def test_variations_stack_above_and_keep_moves_the_others_to_takes(addon, scene, done, tmp_path: Path) -> None:
    shot_settings(scene, prompt="a kite over the dunes")
    bpy.ops.movie_director.generate()
    done()
    (original,) = clips(scene)
    scene.sequence_editor.active_strip = original
    assert bpy.ops.movie_director.variations(count=3) == {"FINISHED"}
    assert len(placeholders(scene)) == 3
    done()
    assert not errors(addon), errors(addon)
    takes = clips(scene)
    assert len(takes) == 4 and len({c["bmd_seed"] for c in takes}) == 4
    assert {c.frame_final_start for c in takes} == {original.frame_final_start}
    assert {c.frame_final_duration for c in takes} == {original.frame_final_duration}
    channels = sorted(c.channel for c in takes)
    assert channels[0] == original.channel and len(set(channels)) == 4  # stacked, one above the other
    names = sorted(c.name for c in takes)
    assert names == ["a kite over the dunes", "a kite over the dunes · v2", "a kite over the dunes · v3",
                     "a kite over the dunes · v4"]

    keep = next(c for c in takes if c.name.endswith("v3"))
    others = [Path(bpy.path.abspath(c["bmd_output"])) for c in takes if c != keep]
    scene.sequence_editor.active_strip = keep
    panel = RecordingLayout()
    assert bpy.types.MOVIE_DIRECTOR_PT_clip.poll(bpy.context)
    bpy.types.MOVIE_DIRECTOR_PT_clip.draw(SimpleNamespace(layout=panel), bpy.context)
    assert {"movie_director.extend", "movie_director.variations", "movie_director.keep_take"} <= set(panel.operators())
    assert "Take 3 of 4" in panel.texts()
    assert bpy.ops.movie_director.keep_take() == {"FINISHED"}
    (kept,) = clips(scene)
    assert kept.name == "a kite over the dunes" and kept.channel == channels[0]  # down where the first take was
    assert Path(bpy.path.abspath(kept["bmd_output"])).is_file()
    for path in others:  # not deleted: moved to takes/ beside it, with its sidecar
        assert not path.exists() and (path.parent / "takes" / path.name).is_file()
        assert (path.parent / "takes" / path.with_suffix(".json").name).is_file()
    assert len([s for s in strips(scene) if s.type == "SPEED"]) == 1  # the kept take's; the others' went with them


# -- placeholders are the job's handle


def running_with_its_placeholder(addon, scene, drive, prompt: str, *, frame: int, channel: int, steps: int):
    """A job queued as Generate does, once it runs: (its record, the manager, its grey placeholder)."""
    scripting = import_module(f"{addon.__name__}.ui.scripting")
    record = scripting.queue_job(prompt, model="t2v_1.3B", frames=17, frame=frame, channel=channel,
                                 num_inference_steps=steps, resolution=SIZE, simulation={"step_seconds": 0.05})
    manager = addon.ui.addon.manager()
    drive(lambda: manager.get(record.id).state.value == "running")
    (placeholder,) = placeholders(scene)
    return record, manager, placeholder


def test_deleting_a_placeholder_cancels_its_job_and_frees_the_server(addon, scene, drive, server) -> None:
    record, manager, placeholder = running_with_its_placeholder(addon, scene, drive, "a very long take", frame=1,
                                                                channel=2, steps=200)
    collection(scene).remove(placeholder)  # the user deletes the grey strip
    drive(lambda: manager.get(record.id).state.is_terminal, timeout=15)
    assert manager.get(record.id).state.value == "cancelled"
    assert not [s for s in strips(scene) if s.get("bmd_job_id") == record.id]
    with Wan2GPClient(server.url) as client:
        wait_until(lambda: not client.server_status().busy, 5, "the server to let go of the cancelled job")


def test_an_undo_that_takes_a_placeholder_away_keeps_its_job(addon, scene, drive) -> None:
    """Ctrl+Z right after Generate takes the grey strip away: the job goes on (minutes of GPU work are
    not thrown away for a reflex) and its clip lands in the slot. A delete still cancels (test above)."""
    record, manager, placeholder = running_with_its_placeholder(addon, scene, drive, "kept through an undo", frame=31,
                                                                channel=3, steps=12)
    collection(scene).remove(placeholder)  # what Blender's undo does to it...
    for handler in list(bpy.app.handlers.undo_post):  # ...and then tells the handlers it registered
        handler(scene, None)
    drive(lambda: manager.get(record.id).state.is_terminal, timeout=30)
    assert manager.get(record.id).state.value == "succeeded"
    drive(lambda: addon.ui.tick.is_placed(record.id), timeout=10)
    (clip,) = [s for s in strips(scene) if s.get("bmd_job_id") == record.id]
    assert (clip.frame_final_start, clip.channel) == (31, 3) and not clip.get("bmd_placeholder")


def test_the_tick_looks_through_the_timeline_only_when_a_placeholder_changed(addon, scene, drive, monkeypatch) -> None:
    scripting = import_module(f"{addon.__name__}.ui.scripting")
    watching = addon.ui.placeholders
    for n in range(30):  # other work on the timeline
        addon.ui.compat.new_effect(scene.sequence_editor_create(), f"other {n}", "COLOR", 10 + n % 3, 400 + 20 * n, 10)
    record = scripting.queue_job("a long take", model="t2v_1.3B", frames=17, frame=1, channel=2,
                                 num_inference_steps=200, resolution=SIZE, simulation={"step_seconds": 0.05})
    manager = addon.ui.addon.manager()
    drive(lambda: manager.get(record.id).state.value == "running")
    looks: list[int] = []
    full_look = watching._placeholders
    monkeypatch.setattr(watching, "_placeholders", lambda names: looks.append(1) or full_look(names))
    for _ in range(20):
        addon.ui.tick.tick()
    assert looks == [], "the tick looked through every strip although no placeholder changed"
    (placeholder,) = placeholders(scene)
    placeholder.name = "renamed by the user"  # found again by a full look; the job goes on
    for _ in range(3):
        addon.ui.tick.tick()
    assert len(looks) == 1 and manager.get(record.id).state.value == "running"
    collection(scene).remove(placeholders(scene)[0])  # deleted: its job is cancelled
    drive(lambda: manager.get(record.id).state.is_terminal, timeout=15)
    assert manager.get(record.id).state.value == "cancelled"


def test_trimming_a_placeholder_before_its_job_starts_asks_again(addon, scene, drive, done) -> None:
    scripting = import_module(f"{addon.__name__}.ui.scripting")
    manager = addon.ui.addon.manager()
    blocker = scripting.queue_job("keeps the server busy", model="t2v_1.3B", frames=17, frame=300, channel=9,
                                  num_inference_steps=200, resolution=SIZE, simulation={"step_seconds": 0.05})
    drive(lambda: manager.get(blocker.id).state.value == "running")
    waiting = scripting.queue_job("waits its turn", model="t2v_1.3B", frames=33, frame=1, channel=2,
                                  num_inference_steps=2, resolution=SIZE)
    drive(lambda: manager.get(waiting.id).state.value == "queued")
    (placeholder,) = [p for p in placeholders(scene) if p.get("bmd_job_id") == waiting.id]
    assert placeholder.frame_final_duration == 50  # 33 frames at 16 fps in a 24 fps scene
    placeholder.frame_final_duration = 24  # the user trims it to 1 s before it started
    placeholder.frame_start = 10  # ... and moves it
    drive(lambda: manager.get(waiting.id).state.is_terminal)
    assert manager.get(waiting.id).state.value == "cancelled"
    again = next(r for r in manager.jobs() if r.settings.prompt == "waits its turn" and r.id != waiting.id)
    assert again.settings.video_length == 17 and again.slot.frames == 24  # 1 s asks for 17 frames now
    manager.cancel(blocker.id)
    done()
    (clip,) = [c for c in clips(scene) if c["bmd_prompt"] == "waits its turn"]
    assert (clip.frame_final_start, clip.frame_final_duration, clip["bmd_frames"]) == (10, 24, 17)


def test_trimming_after_the_job_started_retimes_the_clip_into_the_new_slot(addon, scene, drive, done) -> None:
    scripting = import_module(f"{addon.__name__}.ui.scripting")
    manager = addon.ui.addon.manager()
    record = scripting.queue_job("a running take", model="t2v_1.3B", frames=33, frame=1, channel=2,
                                 num_inference_steps=20, resolution=SIZE, simulation={"step_seconds": 0.05})
    drive(lambda: manager.get(record.id).state.value == "running")
    (placeholder,) = placeholders(scene)
    placeholder.frame_final_duration = 40
    placeholder.channel = 4
    done()
    (clip,) = clips(scene)
    assert clip["bmd_job_id"] == record.id and clip["bmd_frames"] == 33  # the same job, not asked again
    assert (clip.channel, clip.frame_final_start, clip.frame_final_duration) == (4, 1, 40)


def test_a_script_asks_in_seconds_of_scene_time(addon, scene, done) -> None:
    scripting = import_module(f"{addon.__name__}.ui.scripting")
    record = scripting.queue_job("two seconds of dunes", model="t2v_1.3B", seconds=2, frame=1, channel=2,
                                 resolution=SIZE, num_inference_steps=2)
    assert (record.settings.video_length, record.slot.frames) == (33, 48)  # 33 frames at 16 fps fill 2 s at 24
    done()
    (clip,) = [c for c in clips(scene) if c["bmd_prompt"] == "two seconds of dunes"]
    assert clip.frame_final_duration == 48


# -- names


def test_names_come_from_the_prompt_and_stay_unique(addon, scene, done) -> None:
    shot_settings(scene, prompt="A lighthouse. Waves at dusk.")
    for _ in range(2):
        bpy.ops.movie_director.generate()
    done()
    names = sorted(c.name for c in clips(scene))
    assert names == ["A lighthouse· Waves at dusk", "A lighthouse· Waves at dusk (2)"]
    assert all("t2v" not in c.name and "." not in c.name for c in clips(scene))
    # a copy Blender makes keeps the whole prompt (no "." for it to cut the name at)
    copy = collection(scene).new_effect(name=names[0], type="COLOR", channel=20, frame_start=1,
                                        **({"length": 5} if bpy.app.version >= (5, 0, 0) else {"frame_end": 6}))
    assert copy.name.startswith("A lighthouse· Waves at dusk")


def test_a_shot_is_selected_and_given_its_model_and_one_gone_from_the_timeline_is_said_so(addon, scene) -> None:
    first = text_strip(scene, "A gull over the harbour", 1, 1, 40)
    second = text_strip(scene, "Boats at the quay", 1, 41, 40)
    for strip in (first, second):
        addon.ui.shots.make_shot(strip)
    assert bpy.ops.movie_director.select_shot(uid=second.movie_director_shot.uid) == {"FINISHED"}
    assert scene.sequence_editor.active_strip == second and scene.frame_current == 41
    assert second.select and not first.select
    assert bpy.ops.movie_director.shot_set_model(uid=first.movie_director_shot.uid, model="t2v_1.3B") == {"FINISHED"}
    assert first.movie_director_shot.model == "t2v_1.3B"
    for operator in (bpy.ops.movie_director.select_shot, bpy.ops.movie_director.shot_set_model):
        with pytest.raises(RuntimeError, match="no longer on the timeline"):
            operator(uid="no-such-shot")
