"""The terminal's --lora: several LoRAs with their multipliers reach the server; a LoRA the server does not
list, or a multiplier that is not a number, is refused before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from blender_movie_director.client import cli
from blender_movie_director.server.engines.render import read_clip_metadata

pytestmark = pytest.mark.server


def test_the_cli_takes_loras(server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lora.mp4"
    code = cli.main(["--url", server.url, "generate", "--prompt", "a quiet lake", "--model", "t2v_1.3B", "--frames",
                     "17", "--resolution", "448x256", "--steps", "3", "--lora", "film_grain.safetensors:0.6",
                     "--lora", "rainy_mood.safetensors", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    used = read_clip_metadata(out)
    assert (used["activated_loras"], used["loras_multipliers"]) == (
        ["film_grain.safetensors", "rainy_mood.safetensors"], "0.6 1")
    assert cli.main(["--url", server.url, "generate", "--prompt", "x", "--lora", "nope.safetensors:0.5",
                     "--out", str(tmp_path / "no.mp4")]) == 1
    assert "nope.safetensors" in capsys.readouterr().err
    assert cli.main(["--url", server.url, "generate", "--prompt", "x", "--lora", "film_grain.safetensors:lots",
                     "--out", str(tmp_path / "no.mp4")]) == 1
    assert "multiplier" in capsys.readouterr().err
