"""The short cuts the benchmark asked for, on gradio 5 and 6: connect reads the server's status in one
plain request; a finished clip is handed to gradio as a hard link (no hash-and-copy of the whole file);
a padded clip (test controls only) arrives whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blender_movie_director.client.transport import quick_status
from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common import protocol
from blender_movie_director.common.messages import API_VERSION

TINY = {"model_type": "t2v_1.3B", "prompt": "fast path", "resolution": "320x320", "video_length": 5,
        "num_inference_steps": 1}


def test_status_in_one_plain_request(server) -> None:
    text = quick_status(server.url, 2.0, {protocol.CLIENT_ID_HEADER: protocol.new_client_id()})
    assert text is not None and json.loads(text)["api_version"] == API_VERSION


def test_no_director_server_there_means_the_long_way(tmp_path: Path) -> None:
    import http.server
    import threading

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        assert quick_status(f"http://127.0.0.1:{web.server_port}", 2.0, {}) is None
    finally:
        web.shutdown()


def test_connect_tells_the_same_status(server, tmp_path: Path) -> None:
    with Wan2GPClient(server.url, output_dir=tmp_path) as client:
        status = client.connect()
        assert status.api_version == API_VERSION and status.test_controls
        assert client.server_status().server_version == status.server_version


def test_clip_is_served_from_a_link_and_a_padded_one_arrives_whole(server, tmp_path: Path) -> None:
    with Wan2GPClient(server.url, output_dir=tmp_path / "clips") as client:
        plain = client.generate({**TINY, "seed": 4}, simulation={"step_seconds": 0}, timeout=60)
        padded = client.generate({**TINY, "seed": 4}, simulation={"step_seconds": 0, "pad_output_mb": 2}, timeout=60)
    assert padded.video_path.stat().st_size - plain.video_path.stat().st_size == 2 * 1024 * 1024
    server_copy = next(Path(server.log_file).parent.parent.joinpath("server_out").rglob(plain.output_name))
    assert server_copy.stat().st_nlink == 2  # the server's clip and gradio's link to it: no second copy
    assert server_copy.read_bytes() == plain.video_path.read_bytes()


@pytest.mark.parametrize("option", [{"pad_output_mb": 0}, {"pad_output_mb": 5000}])
def test_padding_is_bounded(server, tmp_path: Path, option: dict) -> None:
    from blender_movie_director.common.errors import InvalidRequestError

    with Wan2GPClient(server.url, output_dir=tmp_path) as client, pytest.raises(InvalidRequestError):
        client.submit(TINY, simulation={"step_seconds": 0, **option})
