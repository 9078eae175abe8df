"""The doors gradio opens before our code runs, on gradio 5.29 and 6: the REST route past the queue is
closed (api_open=False), and gradio's own three checks (an argument count, a file not uploaded to it,
an upload over the size cap) are made first by the server, in our typed form naming the field; the
client still reads gradio's own words as typed errors, for older servers."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from blender_movie_director.client.gradio_refusals import typed_refusal
from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common import protocol
from blender_movie_director.common.errors import InvalidRequestError, InvalidSettingsError
from blender_movie_director.launcher import process as launcher
from tests.conftest import SERVER_PYTHONS
from tests.raw_gradio import Raw
from tests.waiting import wait_until

pytestmark = pytest.mark.server

SHOT = {"model_type": "t2v_1.3B", "prompt": "a lighthouse at dusk", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 4}
SLOTS = len(protocol.MEDIA_SLOTS)
OUTSIDE = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}


@pytest.fixture(scope="module", params=["gradio5", "gradio6"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[launcher.ServerProcess]:
    tmp = tmp_path_factory.mktemp(f"doors-{request.param}")
    config = launcher.LaunchConfig(python=Path(SERVER_PYTHONS[request.param]), state_dir=tmp / "state",
                                   output_dir=tmp / "out", port=0, step_seconds=0.02,
                                   # a small cap (over it stays cheap); a small, slow bucket (the rate limit test)
                                   extra_args=["--max-upload-mb", "1", "--client-burst", "30", "--client-rate", "0.2"])
    server = launcher.start_server(config)
    yield server
    server.stop()


@pytest.fixture
def client(server: launcher.ServerProcess, tmp_path: Path) -> Iterator[Wan2GPClient]:
    with Wan2GPClient(server.url, output_dir=tmp_path / "clips") as client:
        yield client


def request_text(settings: dict | None = None) -> str:
    return json.dumps({"job_id": "doors" + secrets.token_hex(6), "settings": settings or SHOT})


def test_the_rest_route_past_the_queue_is_closed_and_the_queue_open(server, client: Wan2GPClient) -> None:
    headers = {protocol.CLIENT_ID_HEADER: "doors-raw-client-0001"}
    for endpoint, data in (("generate", [request_text(), *[None] * SLOTS]), ("finish", [request_text(), None]),
                           ("cancel", ["abcdefgh12"]), ("job_result", ["abcdefgh12"])):
        for route in ("run", "api"):
            answer = httpx.post(f"{server.url}/gradio_api/{route}/{endpoint}", json={"data": data}, headers=headers,
                                timeout=30)
            assert answer.status_code == 404 and "queue" in answer.text, (route, endpoint, answer.text[:200])
    status = httpx.post(f"{server.url}/gradio_api/run/server_status", json={"data": []}, headers=headers, timeout=30)
    assert status.status_code == 200  # the one unqueued endpoint: a client's quick status read
    assert client.generate(SHOT, timeout=60).video_path.exists()  # the queued route works


def test_an_upload_over_the_cap_is_refused_naming_the_slot(client: Wan2GPClient, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.png"
    with big.open("wb") as handle:  # a PNG's magic, 2 MB over a 1 MB cap
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(2 * 1024**2)
    shot = {**SHOT, "model_type": "i2v", "image_start": big}
    with pytest.raises(InvalidSettingsError) as ours:  # our own check, before anything is sent
        client.submit(shot)
    assert ours.value.field == "image_start"
    monkeypatch.setattr(client, "_status", None)  # a client that does not know the server's cap
    with pytest.raises(InvalidSettingsError) as by_gradio_client:  # gradio_client's check, from the server's config
        client.submit(shot).result(timeout=60)
    assert by_gradio_client.value.field == "image_start" and "upload cap (1 MB)" in by_gradio_client.value.message
    monkeypatch.setitem(client._require().config, "max_file_size", None)  # nor gradio_client: the server's 413
    with pytest.raises(InvalidSettingsError) as by_server:
        client.submit(shot).result(timeout=60)
    assert by_server.value.field == "image_start" and "--max-upload-mb" in by_server.value.hint


def test_gradio_s_own_checks_are_made_first_by_the_server_in_our_typed_form(server, tmp_path: Path) -> None:
    """A raw caller gets the server's typed answer, not gradio's words, on this gradio."""
    raw = Raw(server.url, "doors-raw-client-0002")

    def refusal(answer: dict) -> tuple[int, object]:
        assert "http" in answer, answer  # refused before it joined gradio's queue
        return answer["http"], protocol.decode_error(answer["text"])

    status, error = refusal(raw.call("generate", [request_text({**SHOT, "model_type": "i2v"}), OUTSIDE,
                                                  *[None] * (SLOTS - 1)]))
    assert status == 422 and isinstance(error, InvalidSettingsError) and error.field == "image_start", error
    status, error = refusal(raw.call("finish", [request_text(), OUTSIDE]))
    assert status == 422 and isinstance(error, InvalidSettingsError) and error.field == "finish.source", error
    status, error = refusal(raw.call("generate", [request_text()]))  # gradio_client pads a short call; a raw caller does not
    assert status == 422 and isinstance(error, InvalidRequestError) and error.field == "request", error
    assert f"takes {SLOTS + 1} inputs; the call sent 1" in error.message
    big = tmp_path / "big.png"
    Image.new("RGB", (16, 16)).save(big)
    with big.open("ab") as handle:
        handle.truncate(2 * 1024**2)
    status, error = refusal(raw.upload(big))
    assert status == 413 and isinstance(error, InvalidSettingsError) and error.field == "upload", error
    assert "upload cap (1 MB)" in error.message and "--max-upload-mb" in error.hint
    small = tmp_path / "small.png"
    Image.new("RGB", (16, 16)).save(small)
    uploaded = raw.upload(small)  # within the cap: gradio stores it, and a call naming it passes the check
    done = raw.call("generate", [request_text({**SHOT, "model_type": "i2v"}), uploaded, *[None] * (SLOTS - 1)])
    assert done.get("msg") == "process_completed" and done.get("success"), done


def test_bodies_over_the_cap_are_refused_typed_also_without_a_length(server) -> None:
    """A queue join is read at most up to the cap; an upload sent in chunks (no Content-Length) is checked
    by gradio itself, and its 413 reaches the caller retyped."""
    headers = {protocol.CLIENT_ID_HEADER: "doors-raw-client-0003"}
    chunks = [b"x" * 65536] * 32  # 2 MB, over the 1 MB cap

    def typed(answer: httpx.Response) -> object:
        return protocol.decode_error(answer.text)

    joined = httpx.post(f"{server.url}/gradio_api/queue/join", headers=headers, timeout=60,
                        content=json.dumps({"data": ["x" * 2 * 1024**2], "fn_index": 0, "session_hash": "s1"}))
    error = typed(joined)
    assert joined.status_code == 413 and isinstance(error, InvalidRequestError) and error.field == "request", error
    chunked = httpx.post(f"{server.url}/gradio_api/queue/join", headers=headers, timeout=60, content=iter(chunks))
    error = typed(chunked)
    assert chunked.status_code == 413 and isinstance(error, InvalidRequestError) and error.field == "request", error
    boundary = b"bmd-doors-boundary"
    head = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n'
            b"Content-Type: image/png\r\n\r\n")
    upload = httpx.post(f"{server.url}/gradio_api/upload", timeout=60, content=iter(
        [head, *chunks, b"\r\n--" + boundary + b"--\r\n"]),
        headers={**headers, "content-type": f"multipart/form-data; boundary={boundary.decode()}"})
    error = typed(upload)
    assert upload.status_code == 413 and isinstance(error, InvalidSettingsError) and error.field == "upload", \
        (upload.status_code, upload.text[:300])


def test_gradio_s_words_read_as_typed_errors_for_an_older_server() -> None:
    """What a server without the check answers (gradio 5 and 6 words), read by the client as typed errors."""
    error = typed_refusal("File /etc/passwd is not in the upload folder and cannot be accessed.",
                          {"image_start": "/etc/passwd"}, endpoint="/generate")
    assert isinstance(error, InvalidSettingsError) and error.field == "image_start"
    error = typed_refusal("An event handler (generate) didn't receive enough input values (needed: 10, got: 1).",
                          endpoint="/generate")
    assert isinstance(error, InvalidRequestError) and error.field == "request"
    error = typed_refusal("Maximum file size exceeded", {"image_start": "/x/big.png"}, status_code=413)
    assert isinstance(error, InvalidSettingsError) and error.field == "image_start"


def test_a_client_over_its_rate_limit_gets_a_typed_refusal_and_others_do_not(server, client: Wan2GPClient,
                                                                              tmp_path: Path) -> None:
    noisy_id = "doors-noisy-client-0001"
    with Wan2GPClient(server.url, output_dir=tmp_path / "noisy", client_id=noisy_id) as noisy:
        answered, refused = Raw(server.url, noisy_id).burst("cancel", [[f"junkjob{i:05d}"] for i in range(100)])
        assert refused >= 60 and answered + refused == 100
        with pytest.raises(InvalidRequestError) as small_call:  # its bucket is empty: refused at the door
            noisy.server_jobs()
        assert small_call.value.field == "client_id" and "too many calls" in small_call.value.message
        with pytest.raises(InvalidRequestError) as job:
            noisy.submit(SHOT).result(timeout=30)
        assert job.value.field == "client_id"
        assert client.generate(SHOT, timeout=60).video_path.exists()  # another client is not held back
        wait_until(lambda: _answers(noisy), 30, "the noisy client's bucket to refill")


def _answers(client: Wan2GPClient) -> bool:
    try:
        client.server_jobs()
    except InvalidRequestError:
        return False
    return True
