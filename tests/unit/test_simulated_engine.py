"""The simulated engine in-process: real mp4s, phases in order, faults, cancel."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import imageio_ffmpeg
import pytest

from blender_movie_director.common.catalog import MODELS_BY_ID
from blender_movie_director.common.enums import MediaInput, Phase
from blender_movie_director.common.errors import GenerationFailedError, JobCancelledError
from blender_movie_director.common.settings import GenerationSettings, SimulationOptions
from blender_movie_director.server.engines.render import ffmpeg_exe, read_clip_metadata
from blender_movie_director.server.engines.simulated import SimulatedEngine


def settings(model: str = "t2v_1.3B", **overrides) -> GenerationSettings:
    base = GenerationSettings(model_type=model, prompt="a paper boat on a rainy street", resolution="448x256",
                              video_length=17, num_inference_steps=5, **overrides)
    return base.resolved_for(MODELS_BY_ID[model])


def probe_video(path: Path) -> dict:
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    meta = next(imageio_ffmpeg.read_frames(str(path)))
    info = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    return {"frames": frames, "fps": meta["fps"], "size": tuple(meta["size"]), "audio": "Audio:" in info,
            "h264": "h264" in info, "info": info}


def test_renders_exact_frames_fps_and_size(tmp_path: Path) -> None:
    engine = SimulatedEngine(step_seconds=0, load_seconds=0)
    job = engine.submit("unit-job-1", settings(seed=7), {}, tmp_path, None)
    events = list(job.events())
    output = job.result(5)
    video = probe_video(output.path)
    assert (video["frames"], video["fps"], video["size"]) == (17, 16.0, (448, 256))
    assert video["h264"] and not video["audio"]
    assert output.seed == 7
    phases = [e.phase for e in events if e.kind == "phase"]
    assert phases == [Phase.LOADING_MODEL, Phase.ENCODING_TEXT, Phase.DECODING, Phase.SAVING]
    assert [e.step for e in events if e.kind == "step"] == [1, 2, 3, 4, 5]
    embedded = read_clip_metadata(output.path)  # settings travel inside the clip, as with Wan2GP
    assert (embedded["seed"], embedded["model_type"], embedded["video_length"]) == (7, "t2v_1.3B", 17)


def test_audio_models_get_a_sound_track_and_same_seed_same_pictures(tmp_path: Path) -> None:
    engine = SimulatedEngine(step_seconds=0, load_seconds=0)
    first = engine.submit("unit-job-a", settings("ltx2_distilled", seed=3), {}, tmp_path / "a", None).result(10)
    second = engine.submit("unit-job-b", settings("ltx2_distilled", seed=3), {}, tmp_path / "b", None).result(10)
    third = engine.submit("unit-job-c", settings("ltx2_distilled", seed=4), {}, tmp_path / "c", None).result(10)
    assert probe_video(first.path)["audio"] and first.has_audio and first.fps == 24.0
    frame = lambda p: next(iter(list(imageio_ffmpeg.read_frames(str(p)))[1:2]))  # noqa: E731
    assert frame(first.path) == frame(second.path)
    assert frame(first.path) != frame(third.path)


def test_random_seed_is_reported(tmp_path: Path) -> None:
    output = SimulatedEngine(0, 0).submit("unit-job-r", settings(), {}, tmp_path, None).result(10)
    assert 0 <= output.seed < 2**31
    assert f"seed{output.seed}" in output.path.name


def test_fail_at_step_reports_the_stage(tmp_path: Path) -> None:
    job = SimulatedEngine(0, 0).submit("unit-job-f", settings(), {}, tmp_path, SimulationOptions(fail_at_step=3))
    with pytest.raises(GenerationFailedError) as caught:
        job.result(5)
    assert caught.value.stage == "inference"
    assert job.step == 2
    assert not list(tmp_path.glob("*.mp4"))


def test_cancel_stops_a_hung_job_at_once_and_writes_nothing(tmp_path: Path) -> None:
    job = SimulatedEngine(0, 0).submit("unit-job-h", settings(), {}, tmp_path, SimulationOptions(hang_at_step=2))
    time.sleep(0.2)
    assert not job.done
    job.cancel()
    with pytest.raises(JobCancelledError):
        job.result(2)  # a hung job that ignored the cancel would time out here instead
    assert not list(tmp_path.iterdir())


def test_still_image_model_writes_a_png(tmp_path: Path) -> None:
    model = MODELS_BY_ID["flux"]
    still = GenerationSettings(model_type="flux", prompt="a poster", resolution="448x256").resolved_for(model)
    output = SimulatedEngine(0, 0).submit("unit-job-p", still, {}, tmp_path, None).result(5)
    assert output.path.suffix == ".png" and output.frames == 1
    from PIL import Image

    with Image.open(output.path) as image:
        assert image.size == (448, 256)
        assert json.loads(image.info["comment"])["model_type"] == "flux"


def test_image_to_video_opens_on_the_given_image(tmp_path: Path) -> None:
    from PIL import Image

    start = tmp_path / "start.png"
    Image.new("RGB", (64, 64), (250, 10, 10)).save(start)
    model = MODELS_BY_ID["i2v"]
    i2v = GenerationSettings(model_type="i2v", prompt="it moves", resolution="448x256", video_length=17,
                             num_inference_steps=2, image_start=start).resolved_for(model)
    output = SimulatedEngine(0, 0).submit("unit-job-i", i2v, {MediaInput.IMAGE_START: start}, tmp_path, None).result(10)
    frames = list(imageio_ffmpeg.read_frames(str(output.path)))
    meta, first, last = frames[0], frames[1], frames[-1]
    width, height = meta["size"]
    pixel = lambda raw, x, y: raw[(y * width + x) * 3:(y * width + x) * 3 + 3]  # noqa: E731
    red, green, blue = pixel(first, width // 2, height // 2 + 20)
    assert red > 200 and green < 60 and blue < 60, "frame 1 is not the start image"
    assert pixel(last, width // 2, height // 2 + 20) != pixel(first, width // 2, height // 2 + 20)


def test_first_and_last_frame_the_clip_ends_on_the_end_image(tmp_path: Path) -> None:
    from PIL import Image

    start, end = tmp_path / "start.png", tmp_path / "end.png"
    Image.new("RGB", (64, 64), (250, 10, 10)).save(start)
    Image.new("RGB", (96, 32), (10, 20, 240)).save(end)  # another shape: fitted to the clip's size
    model = MODELS_BY_ID["i2v"]
    flf = GenerationSettings(model_type="i2v", prompt="it moves", resolution="448x256", video_length=17,
                             num_inference_steps=2, image_start=start, image_end=end).resolved_for(model)
    media = {MediaInput.IMAGE_START: start, MediaInput.IMAGE_END: end}
    output = SimulatedEngine(0, 0).submit("unit-job-e", flf, media, tmp_path, None).result(10)
    frames = list(imageio_ffmpeg.read_frames(str(output.path)))
    meta, pictures = frames[0], frames[1:]
    width, height = meta["size"]
    assert len(pictures) == 17

    def colour(raw: bytes, x: int, y: int) -> tuple[int, ...]:
        return tuple(raw[(y * width + x) * 3:(y * width + x) * 3 + 3])

    # away from the drawn title, caption, frame number and bar: a corner, the middle right, the left edge
    spots = [(width - 10, 10), (width * 3 // 4, height // 2 + 20), (width - 10, height // 2), (10, height // 2 + 20)]
    for x, y in spots:
        red, green, blue = colour(pictures[-1], x, y)
        assert blue > 200 and red < 50 and green < 60, f"the last frame at {x},{y} is {red, green, blue}, not the end image"
        red, green, blue = colour(pictures[0], x, y)
        assert red > 200 and blue < 60, f"the first frame at {x},{y} is {red, green, blue}, not the start image"
    middle = colour(pictures[8], width * 3 // 4, height // 2 + 20)
    assert middle != colour(pictures[-1], width * 3 // 4, height // 2 + 20)  # it moves between them
