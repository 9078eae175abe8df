"""The server's checks in-process: request parsing, extra settings, media probes, ownership and the
bounds on its state, the janitor. (Over HTTP, from three doors: tests/integration/test_bad_input_corpus.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from blender_movie_director.common.enums import JobState, MediaInput
from blender_movie_director.common.errors import InvalidRequestError, InvalidSettingsError
from blender_movie_director.common.extra_settings import check_extra_keys, looks_like_path
from blender_movie_director.common.settings import parse_settings
from blender_movie_director.server.admission import Admission
from blender_movie_director.server.cleanup import Janitor
from blender_movie_director.server.engines.render import ffmpeg_exe
from blender_movie_director.server.engines.simulated import SimulatedEngine
from blender_movie_director.server.job_registry import (
    HISTORY,
    MAX_EARLY_CANCELS,
    MAX_EARLY_CANCELS_PER_CLIENT,
    JobRegistry,
)
from blender_movie_director.server.ownership import client_of
from blender_movie_director.server.uploads import MediaLimits, UploadBook, check_upload
from blender_movie_director.server.validation import check_job_id, parse_generate_request, resolve_settings

SETTINGS = {"model_type": "t2v_1.3B", "prompt": "a lighthouse at dusk", "resolution": "448x256", "video_length": 17}


def request(**fields) -> str:
    return json.dumps({"job_id": "job0000000001", "settings": SETTINGS, **fields})


@pytest.mark.parametrize(("text", "kind", "field"), [
    (None, InvalidRequestError, "request"),
    ("{not json", InvalidRequestError, "request"),
    ("[1, 2]", InvalidRequestError, "request"),
    ("x" * 300_000, InvalidRequestError, "request"),
    (request(api_version="9.0"), InvalidRequestError, "api_version"),
    (request(job_id="short"), InvalidRequestError, "job_id"),
    (request(job_id="../../etc/passwd"), InvalidRequestError, "job_id"),
    (request(sneaky=1), InvalidRequestError, "sneaky"),
    (request(simulation={"step_seconds": 1e9}), InvalidRequestError, "simulation.step_seconds"),
    (request(settings={**SETTINGS, "prompt": ""}), InvalidSettingsError, "prompt"),
    (request(settings={**SETTINGS, "image_start": "/etc/passwd"}), InvalidSettingsError, "image_start"),
    (request(settings={**SETTINGS, "extra": {"image_refs": ["/etc/passwd"]}}), InvalidSettingsError, "extra"),
    (request(settings={**SETTINGS, "extra": {"x": "a" * 200_000}}), InvalidSettingsError, "extra"),
    (request(settings="not settings"), InvalidRequestError, "settings"),
])
def test_a_bad_request_is_refused_with_its_field(text, kind, field) -> None:
    with pytest.raises(kind) as caught:
        parse_generate_request(text)
    assert caught.value.field == field and type(caught.value) is kind


def test_settings_are_resolved_against_the_engines_model() -> None:
    engine = SimulatedEngine()
    with pytest.raises(InvalidSettingsError, match="no model 'nope'") as caught:
        resolve_settings(parse_generate_request(request(settings={**SETTINGS, "model_type": "nope"})), engine, {})
    assert caught.value.field == "model_type" and "t2v" in caught.value.hint
    with pytest.raises(InvalidSettingsError, match=r"not a setting of t2v_1\.3B"):
        resolve_settings(parse_generate_request(request(settings={**SETTINGS, "extra": {"made_up": 1}})), engine, {})
    fine = resolve_settings(parse_generate_request(request(settings={**SETTINGS, "extra": {"NAG_scale": 2}})),
                            engine, {})
    assert fine.extra == {"NAG_scale": 2} and fine.num_inference_steps


@pytest.mark.parametrize("value", ["/etc/passwd", "~/.ssh/id_rsa", "../../secret", "C:\\Windows\\win.ini",
                                   "http://example.com/x", "file:///etc/passwd", "ref.png", "model.safetensors"])
def test_paths_and_urls_are_never_extra_values(value: str) -> None:
    assert looks_like_path(value)
    with pytest.raises(InvalidSettingsError, match="file path or URL"):
        parse_settings({**SETTINGS, "extra": {"alt_prompt": value}})


def test_plain_extra_values_pass() -> None:
    for value in ("unipc", "VG", "0:45 55:100", "", None, 3, 2.5, True, [9, 10], [[1, 2]]):
        assert not isinstance(value, str) or not looks_like_path(value)
        parse_settings({**SETTINGS, "extra": {"NAG_scale": value}})
    check_extra_keys({"NAG_scale": 1}, {"NAG_scale"}, "t2v")


def test_job_ids_and_client_ids() -> None:
    assert check_job_id("abcdef12") == "abcdef12"
    for bad in ("", "x" * 100_000, "abc", "a b c d e f g", None, 12345678):
        with pytest.raises(InvalidRequestError):
            check_job_id(bad)

    class Req:
        def __init__(self, headers, username=None):
            self.headers, self.username = headers, username

    assert client_of(Req({"x-bmd-client": "a" * 32})) == "a" * 32
    assert client_of(Req({"x-bmd-client": "a" * 32}, "ann")) == "ann/" + "a" * 32
    for headers in ({}, {"x-bmd-client": "short"}, {"x-bmd-client": "bad id with spaces!!"}):
        with pytest.raises(InvalidRequestError) as caught:
            client_of(Req(headers))
        assert caught.value.field == "client_id"


# ---------------------------------------------------------------- media


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    root = tmp_path / "gradio"
    (root / "abc").mkdir(parents=True)
    return root


def test_media_is_probed_for_its_slot(uploads: Path, tmp_path: Path) -> None:
    limits = MediaLimits(max_bytes=2_000_000, max_pixels=1_000_000, max_video_seconds=2)
    png = uploads / "abc" / "ok.png"
    Image.new("RGB", (64, 48)).save(png)
    assert check_upload(MediaInput.IMAGE_START, png, limits, uploads).width == 64
    text = uploads / "abc" / "notes.png"
    text.write_text("hello, not an image")
    garbage = uploads / "abc" / "garbage.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    huge = uploads / "abc" / "huge.png"
    Image.new("1", (4000, 4000)).save(huge)  # a small file of 16 megapixels
    outside = tmp_path / "outside.png"
    Image.new("RGB", (8, 8)).save(outside)
    video = uploads / "abc" / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=8", "-t", "3",
                    str(video)], check=True)
    sound = uploads / "abc" / "voice.wav"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "3",
                    str(sound)], check=True)
    cases = [(MediaInput.IMAGE_START, text, "not an image"), (MediaInput.IMAGE_END, garbage, "not an image"),
             (MediaInput.IMAGE_START, huge, "megapixels"), (MediaInput.IMAGE_START, outside, "not a file uploaded"),
             (MediaInput.IMAGE_START, uploads / "abc" / "gone.png", "missing"),
             (MediaInput.VIDEO_GUIDE, png, "not a video"), (MediaInput.VIDEO_SOURCE, text, "not a video"),
             (MediaInput.VIDEO_SOURCE, video, "lasts 3 s"), (MediaInput.IMAGE_START, video, "not an image"),
             (MediaInput.AUDIO_GUIDE, sound, "lasts 3 s.*trim the sound")]
    for slot, path, words in cases:
        with pytest.raises(InvalidSettingsError, match=words) as caught:
            check_upload(slot, path, limits, uploads)
        assert caught.value.field == slot.value


def test_an_upload_is_deleted_when_its_last_holder_ends(uploads: Path) -> None:
    shared, other = uploads / "abc" / "a.png", uploads / "abc" / "b.png"
    shared.write_bytes(b"x")
    other.write_bytes(b"y")
    waiting: set[str] = set()
    book = UploadBook(uploads, pending=lambda: waiting)
    book.hold("one", [shared])
    book.hold("two", [shared, other])
    assert book.release("one") == [] and shared.exists()
    waiting.add(str(other.resolve()))  # a queued request names it: kept for that one
    assert book.release("two") == [shared.resolve()] and not shared.exists() and other.exists()
    book.hold("three", [other])
    book2 = UploadBook(uploads, pending=lambda: None)  # queue unreadable: keeps everything
    book2.hold("x", [other])
    assert book2.release("x") == [] and other.exists()


# ---------------------------------------------------------------- the registry


def test_jobs_are_owned_and_the_registry_is_bounded() -> None:
    registry = JobRegistry()
    registry.claim("alicejob0001", "alice")
    registry.arrive("alicejob0001", "t2v")
    with pytest.raises(InvalidRequestError, match="another client"):
        registry.claim("alicejob0001", "bob")
    with pytest.raises(InvalidRequestError, match="not one of this client's jobs"):
        registry.cancel("alicejob0001", "bob")
    assert [r.job_id for r in registry.history("alice")] == ["alicejob0001"] and registry.history("bob") == []
    for i in range(3 * MAX_EARLY_CANCELS):  # junk cancels of ids never seen
        registry.cancel(f"junk{i:012d}", "mallory")
    assert registry.sizes()["early_cancels"] == MAX_EARLY_CANCELS_PER_CLIENT  # one client's share
    registry.cancel("bobjob000001", "mallory")  # before bob's job arrives: does not cancel bob's
    registry.claim("bobjob000001", "bob")
    assert not registry.is_cancelled("bobjob000001")
    registry.cancel("alicejob0001", "alice")
    assert registry.is_cancelled("alicejob0001")
    for i in range(3 * HISTORY):
        registry.claim(f"many{i:012d}", "carol")
        registry.arrive(f"many{i:012d}", "t2v")
        registry.finish(f"many{i:012d}", JobState.FAILED, "x")
    sizes = registry.sizes()
    assert sizes["records"] == HISTORY and sizes["owners"] <= 2 * HISTORY + 2
    assert registry.owner_of("alicejob0001") == "alice"  # a waiting job keeps its record and its owner


def test_early_cancels_are_kept_per_client_so_junk_never_pushes_out_a_real_one() -> None:
    registry = JobRegistry()
    registry.cancel("alicejob0002", "alice")  # alice cancels a job still in gradio's queue
    for i in range(3 * MAX_EARLY_CANCELS):  # then 3,000 junk cancels from 300 invented clients
        registry.cancel(f"junk{i:012d}", f"mallory{i % 300}")
    sizes = registry.sizes()
    assert sizes["early_cancels"] <= MAX_EARLY_CANCELS
    registry.claim("alicejob0002", "alice")
    assert registry.is_cancelled("alicejob0002")  # alice's one cancel outlived the junk (the biggest holders go first)


def test_admission_gives_each_client_its_own_bucket_within_a_shared_one() -> None:
    now = [0.0]
    admission = Admission(burst=5, rate=1, global_burst=8, global_rate=4, clock=lambda: now[0])
    assert [admission.admit("junk") for _ in range(7)] == [True] * 5 + [False] * 2  # a burst: its share, no more
    assert admission.admit("good") and admission.admit("good")  # another client is not starved
    assert [admission.admit(f"fake{i}") for i in range(3)] == [True, False, False]  # the shared bucket runs dry
    now[0] += 1.0  # a second later: one more of junk's own, four more shared
    assert admission.admit("junk") and not admission.admit("junk")
    assert admission.refused == 5


def test_the_janitor_deletes_old_outputs_and_temp_files_only(tmp_path: Path) -> None:
    out, temp = tmp_path / "out", tmp_path / "temp"
    (out / ".bmd-results").mkdir(parents=True)
    (temp / "sha1").mkdir(parents=True)
    old, new, note = out / "old.mp4", out / "new.mp4", out / "readme.txt"
    shelf = out / ".bmd-results" / "job.json"
    held, stale = temp / "sha1" / "held.png", temp / "sha1" / "stale.png"
    for path in (old, new, note, shelf, held, stale):
        path.write_bytes(b"x")
    past = time.time() - 7200
    for path in (old, note, shelf, held, stale):
        os.utime(path, (past, past))
    janitor = Janitor(out, temp, keep_seconds=3600, temp_max_age=60, in_use=lambda: {str(held.resolve())})
    assert janitor.sweep_once() == {"outputs": 1, "temp": 1}
    assert not old.exists() and new.exists() and note.exists() and shelf.exists()
    assert held.exists() and not stale.exists()


# ---------------------------------------------------------------- exposure, the launcher, the client's view


def test_binding_beyond_loopback_needs_a_login() -> None:
    from blender_movie_director.common.addresses import exposure

    assert exposure("127.0.0.1", False, False) is None and exposure("::1", False, False) is None
    assert exposure("0.0.0.0", True, False) is None  # a login is set
    refused, message = exposure("0.0.0.0", False, False)  # type: ignore[misc]
    assert refused and "needs a login" in message and "--insecure-no-login" in message
    refused, message = exposure("192.168.1.5", False, True)  # type: ignore[misc]
    assert not refused and message.startswith("WARNING")


def test_the_launcher_refuses_or_warns_whatever_quiet_says(tmp_path: Path, monkeypatch, capsys) -> None:
    import importlib.util

    from blender_movie_director.common.errors import LaunchError
    from blender_movie_director.launcher import process as launcher

    spec = importlib.util.spec_from_file_location("launch_wan2gp", Path(__file__).parents[2] / "scripts" /
                                                  "launch_wan2gp.py")
    script = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(script)  # type: ignore[union-attr]
    monkeypatch.delenv("BMD_SERVER_AUTH", raising=False)
    real_start = launcher.start_server
    monkeypatch.setattr(launcher, "choose_python", lambda *a: Path("/usr/bin/python3"))
    started: list[object] = []
    monkeypatch.setattr(launcher, "start_server", lambda config, **kw: started.append(config) or (_ for _ in ()).throw(
        LaunchError("stopped here for the test")))
    common = ["--simulate", "--host", "0.0.0.0", "--quiet", "--state-dir", str(tmp_path)]
    assert script.main(common) == 1
    err = capsys.readouterr().err
    assert "needs a login" in err and "--insecure-no-login" in err and not started  # refused before starting
    assert script.main([*common, "--insecure-no-login"]) == 1
    err = capsys.readouterr().err
    assert "WARNING: 0.0.0.0 without a login" in err and started  # --quiet does not hide it
    with pytest.raises(LaunchError, match="needs a login"):
        real_start(launcher.LaunchConfig(python=Path("/usr/bin/python3"), state_dir=tmp_path,
                                         output_dir=tmp_path, host="0.0.0.0"))


def test_a_job_that_failed_on_the_server_says_failed_not_downloading(mocker, tmp_path: Path) -> None:
    from concurrent.futures import Future

    from gradio_client.exceptions import AppError

    from blender_movie_director.client.job import GenerationJob
    from blender_movie_director.common import protocol
    from blender_movie_director.common.settings import GenerationSettings

    future: Future = Future()
    future.set_exception(AppError(protocol.encode_error(InvalidSettingsError("image_start", "garbage.png is no image"))))
    gradio_job = mocker.Mock(future=future)
    gradio_job.done.return_value = True
    gradio_job.result.side_effect = future.exception()
    job = GenerationJob(mocker.Mock(), "job12345678", GenerationSettings(model_type="i2v", prompt="x"), gradio_job,
                        tmp_path)
    status = job.status()
    assert status.state is JobState.FAILED and "garbage.png is no image" in status.message
    with pytest.raises(InvalidSettingsError):
        job.result(timeout=1)
