"""Replies a broken or foreign server might send are typed errors, never crashes or bad clips."""

from __future__ import annotations

import json
from concurrent.futures import Future
from pathlib import Path

import pytest

from blender_movie_director.client.clip_download import server_path
from blender_movie_director.client.job import GenerationJob
from blender_movie_director.common.errors import ServerReplyError
from blender_movie_director.common.settings import GenerationSettings

SETTINGS = GenerationSettings(model_type="t2v_1.3B", prompt="a shot", resolution="448x256", video_length=17)
GOOD_REPLY = {"job_id": "job12345678", "engine": "simulated", "seed": 4, "settings": SETTINGS.model_dump(mode="json"),
              "frames": 17, "fps": 16.0, "width": 448, "height": 256, "output_name": "clip.mp4",
              "started_at": 1.0, "finished_at": 2.0}
MP4_HEAD = b"\x00\x00\x00\x18ftypisom" + b"\0" * 64


class LocalFiles:
    """A client whose 'download' of a file reply is the server path itself (server and client share a disk)."""

    url = "http://127.0.0.1:1"

    def fetch_file(self, file_out) -> Path:
        return Path(server_path(file_out))


def job_with_outputs(mocker, tmp_path: Path, outputs) -> GenerationJob:
    gradio_job: Future = Future()  # the same completion (and done-callbacks) as gradio_client's Job
    job = GenerationJob(LocalFiles(), "job12345678", SETTINGS, gradio_job, tmp_path / "clips")  # type: ignore[arg-type]
    gradio_job.set_result(outputs)
    return job


def downloaded(tmp_path: Path, content: bytes, name: str = "clip.mp4") -> str:
    folder = tmp_path / "download" / "abc"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    return str(folder / name)


@pytest.mark.parametrize("make_outputs", [
    lambda tmp: None,
    lambda tmp: ("only one value",),
    lambda tmp: (downloaded(tmp, MP4_HEAD), "this is not json"),
    lambda tmp: (downloaded(tmp, MP4_HEAD), json.dumps({**GOOD_REPLY, "frames": "many"})),
    lambda tmp: (downloaded(tmp, MP4_HEAD), json.dumps({k: v for k, v in GOOD_REPLY.items() if k != "seed"})),
    lambda tmp: (downloaded(tmp, b"<html>not a video</html>" * 4), json.dumps(GOOD_REPLY)),
    lambda tmp: (downloaded(tmp, b""), json.dumps(GOOD_REPLY)),
    lambda tmp: (str(tmp / "never-downloaded.mp4"), json.dumps(GOOD_REPLY)),
    lambda tmp: ({"unexpected": 3}, json.dumps(GOOD_REPLY)),
], ids=["none", "one-value", "not-json", "wrong-type", "missing-field", "not-a-video", "empty-file",
        "missing-file", "odd-file-shape"])
def test_malformed_reply_is_a_typed_error(mocker, tmp_path: Path, make_outputs) -> None:
    job = job_with_outputs(mocker, tmp_path, make_outputs(tmp_path))
    with pytest.raises(ServerReplyError):
        job.result(timeout=1)
    assert not (tmp_path / "clips").exists() or not list((tmp_path / "clips").glob("*.mp4"))


@pytest.mark.parametrize("shape", ["plain", "gradio5-video", "filedata"])
def test_both_gradio_generations_reply_shapes_are_read(mocker, tmp_path: Path, shape: str) -> None:
    path = downloaded(tmp_path, MP4_HEAD)
    file_out = {"plain": path, "gradio5-video": {"video": path, "subtitles": None}, "filedata": {"path": path}}[shape]
    result = job_with_outputs(mocker, tmp_path, (file_out, json.dumps(GOOD_REPLY))).result(timeout=1)
    assert result.video_path == tmp_path / "clips" / "clip.mp4" and result.video_path.read_bytes() == MP4_HEAD
    assert json.loads(result.sidecar_path.read_text())["seed"] == 4
