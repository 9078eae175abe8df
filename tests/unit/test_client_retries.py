from __future__ import annotations

import pytest

from blender_movie_director.client import connection as client_module
from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.errors import ServerUnavailableError


def test_small_calls_retry_with_backoff_then_give_up(mocker) -> None:
    mocker.patch.object(client_module, "RETRY_PAUSES", (0.0, 0.0))
    client = Wan2GPClient("http://127.0.0.1:9")
    once = mocker.patch.object(client, "_call_once",
                               side_effect=[ServerUnavailableError(client.url, "blip"), '{"ok": true}'])
    assert client._call("/server_status") == '{"ok": true}'
    assert once.call_count == 2
    once.reset_mock(side_effect=True)
    once.side_effect = ServerUnavailableError(client.url, "down")
    with pytest.raises(ServerUnavailableError):
        client._call("/server_status")
    assert once.call_count == 3


def test_generate_is_never_retried(mocker) -> None:
    client = Wan2GPClient("http://127.0.0.1:9")
    mocker.patch.object(client, "validate", side_effect=lambda s: s)
    gradio = mocker.Mock()
    gradio.submit.side_effect = ServerUnavailableError(client.url, "down")
    client._gradio = gradio
    from blender_movie_director.common.settings import GenerationSettings

    with pytest.raises(ServerUnavailableError):
        client.submit(GenerationSettings(model_type="t2v", prompt="once only"))
    assert gradio.submit.call_count == 1
