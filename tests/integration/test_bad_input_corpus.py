"""The bad-input corpus: 210+ bad inputs through three doors, against one normally started server.

Doors: the Python client (Wan2GPClient), the CLI (`python -m blender_movie_director`, its main() in
this process), and raw HTTP (gradio's own queue protocol, POST /gradio_api/queue/join and the SSE
stream, with no client of ours; /generate, /generate_refs, /finish, /cancel, /job_result and the other
small endpoints, and gradio's REST route past the queue, which must be closed). Each case says what
kind of refusal is right; the test records whether it was refused before anything reached the
endpoint it aimed at, or by the server, and checks:
- the kind (and the field) is the expected one, and no traceback or untyped error reaches the user
  (gradio's own checks of a call's inputs, its files and the upload cap are made first by the
  server, server/request_guard.py, in our typed form; a refusal still in gradio's words would be
  read as the client reads an older server's: client/gradio_refusals.py, and counted apart);
- the server answers after every case, and no refused job ever took the GPU (the log's
  "job … started" lines name only the jobs meant to run);
- memory stays bounded under 1,000 junk cancels and repeated large uploads (server RSS, printed), and
  another client's job gets done during one client's junk burst (the per-client rate limit);
- one client can neither list nor cancel another's job; faults and pacing are refused by a server not
  started for tests.

The server is started normally (no --allow-test-controls), on gradio 5.29 (Wan2GP's pin), with small
media limits so that limit cases stay cheap: uploads ≤ 48 MB, 4 megapixels, 2 s of video.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import secrets
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from blender_movie_director.client import cli
from blender_movie_director.client.gradio_refusals import typed_refusal
from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common import protocol
from blender_movie_director.common.errors import DirectorError, InvalidRequestError
from blender_movie_director.launcher import process as launcher
from blender_movie_director.server.gradio_state import SWEEP_SECONDS
from tests.conftest import SERVER_PYTHONS
from tests.raw_gradio import Raw
from tests.waiting import wait_until

pytestmark = pytest.mark.server

MAX_UPLOAD_MB = 48
SHOT = {"model_type": "t2v_1.3B", "prompt": "a quiet harbour at dawn", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 4}
I2V = {**SHOT, "model_type": "i2v"}
VACE = {**SHOT, "model_type": "vace_14B"}


# ---------------------------------------------------------------- the server and its media


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[launcher.ServerProcess]:
    tmp = tmp_path_factory.mktemp("corpus-server")
    config = launcher.LaunchConfig(
        python=Path(SERVER_PYTHONS["gradio5"]), state_dir=tmp / "state", output_dir=tmp / "out", port=0,
        step_seconds=0.05,  # an operator's option: a 200-step job runs 10 s (for the ownership check)
        extra_args=["--max-upload-mb", str(MAX_UPLOAD_MB), "--max-media-megapixels", "4",
                    "--max-video-seconds", "2"])
    server = launcher.start_server(config)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from blender_movie_director.server.engines.render import ffmpeg_exe

    folder = tmp_path_factory.mktemp("corpus-media")
    made: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        made[name] = folder / name
        made[name].write_bytes(data)

    Image.new("RGB", (64, 48), (200, 80, 40)).save(folder / "good.png")
    made["good.png"] = folder / "good.png"
    put("text.png", b"this is a text file, not a picture\n" * 20)
    put("garbage.png", b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    noisy = Image.frombytes("RGB", (256, 256), os.urandom(256 * 256 * 3))
    noisy.save(folder / "whole.png")
    whole = (folder / "whole.png").read_bytes()
    put("truncated.png", whole[: len(whole) // 2])
    Image.new("1", (12_000, 12_000)).save(folder / "bomb.png")  # 144 megapixels in a small file
    made["bomb.png"] = folder / "bomb.png"
    Image.new("RGB", (3000, 2000)).save(folder / "six_mp.jpg")  # over the corpus server's 4 MP
    made["six_mp.jpg"] = folder / "six_mp.jpg"
    for name, seconds in (("good.mp4", 1), ("long.mp4", 3)):
        subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=16",
                        "-t", str(seconds), "-pix_fmt", "yuv420p", str(folder / name)], check=True)
        made[name] = folder / name
    put("fake.mp4", b"\x00\x00\x00\x18ftypisom" + os.urandom(8192))
    put("text.mp4", b"not a video at all\n" * 50)
    put("empty.png", b"")
    (folder / "a_folder.png").mkdir()
    made["a_folder.png"] = folder / "a_folder.png"
    made["missing.png"] = folder / "missing.png"
    with (folder / "over_cap.png").open("wb") as handle:  # PNG magic, one MB over the server's cap
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate((MAX_UPLOAD_MB + 1) * 1024**2)
    made["over_cap.png"] = folder / "over_cap.png"
    return made


# ---------------------------------------------------------------- what reached the server


SENT: list[tuple[str, str]] = []  # (endpoint, job id) of every gradio_client call made in this process


@pytest.fixture(scope="module", autouse=True)
def spy_on_gradio_calls() -> Iterator[None]:
    """Record every endpoint gradio_client is asked to call (Python client and CLI run in this process)."""
    from gradio_client import Client

    original = Client.submit

    def submit(self: Any, *args: Any, api_name: str | None = None, **kwargs: Any) -> Any:
        job_id = ""
        if api_name == protocol.GENERATE and args and isinstance(args[0], str):
            with contextlib.suppress(ValueError, AttributeError):
                job_id = json.loads(args[0]).get("job_id", "")
        SENT.append((str(api_name), job_id))
        return original(self, *args, api_name=api_name, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "submit", submit)
        yield


def generate_request(settings: dict[str, Any] | None = None, **fields: Any) -> str:
    return json.dumps({"job_id": "raw" + secrets.token_hex(6), "settings": settings or SHOT, **fields})


# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    door: str  # python | cli | raw
    name: str
    run: Callable[[Ctx], Any]
    kind: str  # the right refusal: an error kind, "usage" (CLI arguments), "gradio" (gradio's own check), "http"
    field: str | None = None  # the field the error must name (its message for the CLI)
    target: str = protocol.GENERATE  # the endpoint the bad input aims at


@dataclass
class Ctx:
    server: launcher.ServerProcess
    client: Wan2GPClient
    other: Wan2GPClient  # a second client (another identity)
    raw: Raw
    media: dict[str, Path]
    tmp: Path


def py_submit(settings: dict[str, Any], **options: Any) -> Callable[[Ctx], Any]:
    def run(ctx: Ctx) -> Any:
        resolved = {k: (ctx.media[v] if isinstance(v, str) and v in ctx.media else v) for k, v in settings.items()}
        return ctx.client.submit(resolved, output_dir=ctx.tmp, **options).result(timeout=30)
    return run


def long(n: int) -> str:
    return "x" * n


PYTHON: list[Case] = [
    Case("python", "empty prompt", py_submit({**SHOT, "prompt": ""}), "invalid_settings", "prompt"),
    Case("python", "blank prompt", py_submit({**SHOT, "prompt": " \n\t "}), "invalid_settings", "prompt"),
    Case("python", "prompt of 20,000 characters", py_submit({**SHOT, "prompt": long(20_000)}), "invalid_settings", "prompt"),
    Case("python", "prompt not text", py_submit({**SHOT, "prompt": 42}), "invalid_settings", "prompt"),
    Case("python", "no prompt", py_submit({k: v for k, v in SHOT.items() if k != "prompt"}), "invalid_settings", "prompt"),
    Case("python", "unknown model", py_submit({**SHOT, "model_type": "nope"}), "invalid_settings", "model_type"),
    Case("python", "empty model", py_submit({**SHOT, "model_type": ""}), "invalid_settings", "model_type"),
    Case("python", "model id of 1,000 characters", py_submit({**SHOT, "model_type": long(1000)}), "invalid_settings", "model_type"),
    Case("python", "frames off the grid", py_submit({**SHOT, "video_length": 18}), "invalid_settings", "video_length"),
    Case("python", "zero frames", py_submit({**SHOT, "video_length": 0}), "invalid_settings", "video_length"),
    Case("python", "a million frames", py_submit({**SHOT, "video_length": 1_000_001}), "invalid_settings", "video_length"),
    Case("python", "frames as words", py_submit({**SHOT, "video_length": "many"}), "invalid_settings", "video_length"),
    Case("python", "resolution not WxH", py_submit({**SHOT, "resolution": "big"}), "invalid_settings", "resolution"),
    Case("python", "resolution not offered", py_submit({**SHOT, "resolution": "4000x4000"}), "invalid_settings", "resolution"),
    Case("python", "resolution of 1,000 characters", py_submit({**SHOT, "resolution": long(1000)}), "invalid_settings", "resolution"),
    Case("python", "seed -2", py_submit({**SHOT, "seed": -2}), "invalid_settings", "seed"),
    Case("python", "seed 2**40", py_submit({**SHOT, "seed": 2**40}), "invalid_settings", "seed"),
    Case("python", "zero steps", py_submit({**SHOT, "num_inference_steps": 0}), "invalid_settings", "num_inference_steps"),
    Case("python", "100,000 steps", py_submit({**SHOT, "num_inference_steps": 100_000}), "invalid_settings", "num_inference_steps"),
    Case("python", "guidance NaN", py_submit({**SHOT, "guidance_scale": float("nan")}), "invalid_settings", "guidance_scale"),
    Case("python", "guidance infinite", py_submit({**SHOT, "guidance_scale": float("inf")}), "invalid_settings", "guidance_scale"),
    Case("python", "flow shift 1e9", py_submit({**SHOT, "flow_shift": 1e9}), "invalid_settings", "flow_shift"),
    Case("python", "negative prompt of 20,000 characters", py_submit({**SHOT, "negative_prompt": long(20_000)}), "invalid_settings", "negative_prompt"),
    Case("python", "unknown setting", py_submit({**SHOT, "sed": 3}), "invalid_settings", "sed"),
    Case("python", "extra repeats a field", py_submit({**SHOT, "extra": {"prompt": "x"}}), "invalid_settings", "extra"),
    Case("python", "extra names a file (image_refs)", py_submit({**SHOT, "extra": {"image_refs": ["/etc/passwd"]}}), "invalid_settings", "extra"),
    Case("python", "extra names a file (audio_guide)", py_submit({**SHOT, "extra": {"audio_guide": "/etc/hosts"}}), "invalid_settings", "extra"),
    Case("python", "extra output_filename", py_submit({**SHOT, "extra": {"output_filename": "x"}}), "invalid_settings", "extra"),
    Case("python", "extra value is a path", py_submit({**SHOT, "extra": {"NAG_scale": "/etc/shadow"}}), "invalid_settings", "extra"),
    Case("python", "extra value of 200 KB", py_submit({**SHOT, "extra": {"NAG_scale": long(200_000)}}), "invalid_settings", "extra"),
    Case("python", "extra key of no model", py_submit({**SHOT, "extra": {"made_up_key": 1}}), "invalid_settings", "extra"),
    Case("python", "extra value a dict", py_submit({**SHOT, "extra": {"NAG_scale": {"a": 1}}}), "invalid_settings", "extra"),
    Case("python", "unknown LoRA", py_submit({**SHOT, "activated_loras": ["nope.safetensors"]}), "invalid_settings", "activated_loras"),
    Case("python", "LoRA weights without LoRAs", py_submit({**SHOT, "loras_multipliers": [1.0]}), "invalid_settings", "settings"),
    Case("python", "image for a text-only model", py_submit({**SHOT, "image_start": "good.png"}), "invalid_settings", "image_start"),
    Case("python", "image-to-video without an image", py_submit(I2V), "invalid_settings", "image_start"),
    Case("python", "image file missing", py_submit({**I2V, "image_start": "missing.png"}), "invalid_settings", "image_start"),
    Case("python", "image is a folder", py_submit({**I2V, "image_start": "a_folder.png"}), "invalid_settings", "image_start"),
    Case("python", "image file empty", py_submit({**I2V, "image_start": "empty.png"}), "invalid_settings", "image_start"),
    Case("python", "text file as image", py_submit({**I2V, "image_start": "text.png"}), "invalid_settings", "image_start"),
    Case("python", "image over the server's size cap", py_submit({**I2V, "image_start": "over_cap.png"}), "invalid_settings", "image_start"),
    Case("python", "PNG header, garbage body", py_submit({**I2V, "image_start": "garbage.png"}), "invalid_settings", "image_start"),
    Case("python", "PNG cut in half", py_submit({**I2V, "image_start": "truncated.png"}), "invalid_settings", "image_start"),
    Case("python", "PNG of 144 megapixels", py_submit({**I2V, "image_start": "bomb.png"}), "invalid_settings", "image_start"),
    Case("python", "JPEG of 6 megapixels (limit 4)", py_submit({**I2V, "image_start": "six_mp.jpg"}), "invalid_settings", "image_start"),
    Case("python", "last frame garbage", py_submit({**I2V, "image_start": "good.png", "image_end": "garbage.png"}), "invalid_settings", "image_end"),
    Case("python", "MP4 header, garbage body", py_submit({**VACE, "video_guide": "fake.mp4"}), "invalid_settings", "video_guide"),
    Case("python", "video of 3 s (limit 2)", py_submit({**VACE, "video_guide": "long.mp4"}), "invalid_settings", "video_guide"),
    Case("python", "image as video", py_submit({**VACE, "video_guide": "good.png"}), "invalid_settings", "video_guide"),
    Case("python", "text file as reference image", py_submit({**VACE, "image_refs": "text.png"}), "invalid_settings", "image_refs"),
    Case("python", "MP4 header, garbage body as mask", py_submit({**VACE, "video_mask": "fake.mp4"}), "invalid_settings", "video_mask"),
    Case("python", "image as sound", py_submit({**SHOT, "model_type": "ltx2_distilled", "resolution": None, "audio_guide": "good.png"}), "invalid_settings", "audio_guide"),
    Case("python", "fault injection (exit at step 1)", py_submit(SHOT, simulation={"exit_at_step": 1}), "invalid_request", "simulation"),
    Case("python", "pacing 60 s a step", py_submit(SHOT, simulation={"step_seconds": 60}), "invalid_request", "simulation"),
    Case("python", "simulation out of range", py_submit(SHOT, simulation={"step_seconds": -1}), "invalid_request", "simulation.step_seconds"),
    Case("python", "job id too short", py_submit(SHOT, job_id="x"), "invalid_request", "job_id"),
    Case("python", "job id with slashes", py_submit(SHOT, job_id="../../etc/passwd"), "invalid_request", "job_id"),
    Case("python", "cancel a job id with spaces", lambda ctx: ctx.client.cancel_job("not a job id!"), "invalid_request", "job_id", protocol.CANCEL),
    Case("python", "cancel a 100 KB job id", lambda ctx: ctx.client.cancel_job("a" * 100_000), "invalid_request", "job_id", protocol.CANCEL),
    Case("python", "cancel an empty job id", lambda ctx: ctx.client.cancel_job(""), "invalid_request", "job_id", protocol.CANCEL),
    Case("python", "defaults of an unknown model", lambda ctx: ctx.client.model_defaults("nope"), "invalid_settings", "model_type", protocol.MODEL_DEFAULTS),
    Case("python", "client id not an id", lambda ctx: Wan2GPClient(ctx.server.url, client_id="short"), "invalid_request", "client_id", "(none)"),
    Case("python", "login to a server without one", lambda ctx: Wan2GPClient(ctx.server.url, auth=("u", "p")).connect(), "login", None, "(none)"),
]


def cli_run(*arguments: str, env: dict[str, str] | None = None) -> Callable[[Ctx], Any]:
    def run(ctx: Ctx) -> Any:
        argv = ["--url", ctx.server.url, *[ctx.media[a].as_posix() if a in ctx.media else a for a in arguments]]
        if "generate" in arguments and "--out" not in arguments:
            argv += ["--out", str(ctx.tmp / "cli.mp4")]
        err = io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            for key, value in (env or {}).items():
                patch.setenv(key, value)
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                try:
                    code = cli.main(argv)
                except SystemExit as exit_:
                    code = exit_.code if isinstance(exit_.code, int) else 2
        return CliOutcome(code, err.getvalue())
    return run


@dataclass(frozen=True)
class CliOutcome:
    code: int
    stderr: str


G = ("generate", "--prompt")
CLI: list[Case] = [
    Case("cli", "empty prompt", cli_run(*G, ""), "invalid_settings", "prompt"),
    Case("cli", "prompt of 20,000 characters", cli_run(*G, long(20_000)), "invalid_settings", "prompt"),
    Case("cli", "unknown model", cli_run(*G, "a shot", "--model", "nope"), "invalid_settings", "model_type"),
    Case("cli", "empty model", cli_run(*G, "a shot", "--model", ""), "invalid_settings", "model_type"),
    Case("cli", "frames off the grid", cli_run(*G, "a shot", "--frames", "18"), "invalid_settings", "video_length"),
    Case("cli", "zero frames", cli_run(*G, "a shot", "--frames", "0"), "invalid_settings", "video_length"),
    Case("cli", "100,000 frames", cli_run(*G, "a shot", "--frames", "100000"), "invalid_settings", "video_length"),
    Case("cli", "frames as words", cli_run(*G, "a shot", "--frames", "many"), "usage"),
    Case("cli", "zero seconds", cli_run(*G, "a shot", "--seconds", "0"), "invalid_settings", "seconds"),
    Case("cli", "negative seconds", cli_run(*G, "a shot", "--seconds", "-3"), "invalid_settings", "seconds"),
    Case("cli", "NaN seconds", cli_run(*G, "a shot", "--seconds", "nan"), "invalid_settings", "seconds"),
    Case("cli", "resolution not WxH", cli_run(*G, "a shot", "--resolution", "123"), "invalid_settings", "resolution"),
    Case("cli", "resolution not offered", cli_run(*G, "a shot", "--resolution", "4000x4000"), "invalid_settings", "resolution"),
    Case("cli", "zero steps", cli_run(*G, "a shot", "--steps", "0"), "invalid_settings", "num_inference_steps"),
    Case("cli", "a million steps", cli_run(*G, "a shot", "--steps", "1000000"), "invalid_settings", "num_inference_steps"),
    Case("cli", "seed -7", cli_run(*G, "a shot", "--seed", "-7"), "invalid_settings", "seed"),
    Case("cli", "seed 2**40", cli_run(*G, "a shot", "--seed", str(2**40)), "invalid_settings", "seed"),
    Case("cli", "guidance NaN", cli_run(*G, "a shot", "--guidance", "nan"), "invalid_settings", "guidance_scale"),
    Case("cli", "guidance -1", cli_run(*G, "a shot", "--guidance", "-1"), "invalid_settings", "guidance_scale"),
    Case("cli", "negative prompt of 20,000 characters", cli_run(*G, "a shot", "--negative-prompt", long(20_000)), "invalid_settings", "negative_prompt"),
    Case("cli", "image for a text-only model", cli_run(*G, "a shot", "--image-start", "good.png"), "invalid_settings", "image_start"),
    Case("cli", "image-to-video without an image", cli_run(*G, "a shot", "--model", "i2v"), "invalid_settings", "image_start"),
    Case("cli", "image file missing", cli_run(*G, "a shot", "--model", "i2v", "--image-start", "missing.png"), "invalid_settings", "image_start"),
    Case("cli", "text file as image", cli_run(*G, "a shot", "--model", "i2v", "--image-start", "text.png"), "invalid_settings", "image_start"),
    Case("cli", "PNG header, garbage body", cli_run(*G, "a shot", "--model", "i2v", "--image-start", "garbage.png"), "invalid_settings", "image_start"),
    Case("cli", "PNG of 144 megapixels", cli_run(*G, "a shot", "--model", "i2v", "--image-start", "bomb.png"), "invalid_settings", "image_start"),
    Case("cli", "PNG cut in half", cli_run(*G, "a shot", "--model", "i2v", "--image-start", "truncated.png"), "invalid_settings", "image_start"),
    Case("cli", "last frame for a text-only model", cli_run(*G, "a shot", "--image-end", "good.png"), "invalid_settings", "image_end"),
    Case("cli", "no prompt", cli_run("generate"), "usage"),
    Case("cli", "unknown command", cli_run("explode"), "usage"),
    Case("cli", "unknown option", cli_run(*G, "a shot", "--sneaky", "1"), "usage"),
    Case("cli", "login to a server without one", cli_run("status", env={"BMD_SERVER_AUTH": "u:p"}), "login", "no login", "(none)"),
    Case("cli", "login variable without a password", cli_run("status", env={"BMD_SERVER_AUTH": "justme"}), "director_error", "BMD_SERVER_AUTH", "(none)"),
]


SLOTS = len(protocol.MEDIA_SLOTS)


def raw_generate(request: str | Callable[[Ctx], str] | None, *uploads: str | None, headers: dict | None = None,
                 slots: int = SLOTS + 1) -> Callable[[Ctx], Any]:
    """/generate with the request text and uploads in the media slots' order (None: an empty slot)."""
    def run(ctx: Ctx) -> Any:
        files: list[Any] = []
        for name in uploads:
            if name is None:
                files.append(None)
                continue
            uploaded = ctx.raw.upload(ctx.media[name])
            if "http" in uploaded:  # refused at upload: which slot's file it was
                return {**uploaded, "files": {protocol.MEDIA_SLOTS[len(files)]: str(ctx.media[name])}}
            files.append(uploaded)
        text = request(ctx) if callable(request) else request
        data = [text, *files, *([None] * (SLOTS - len(files)))][:slots]
        return ctx.raw.call("generate", data, headers)
    return run


def raw_uploads(endpoint: str, request: str, *groups: tuple[str, ...] | str | None) -> Callable[[Ctx], Any]:
    """Any queued endpoint: the request text, then one argument per group (None, one upload, or a list)."""
    def run(ctx: Ctx) -> Any:
        data: list[Any] = [request]
        for group in groups:
            if group is None:
                data.append(None)
            elif isinstance(group, str):
                data.append(ctx.raw.upload(ctx.media[group]))
            else:
                data.append([ctx.raw.upload(ctx.media[name]) for name in group])
        return ctx.raw.call(endpoint, data)
    return run


def not_uploaded(endpoint: str, data: list[Any], slot: str) -> Callable[[Ctx], Any]:
    """A path of the server's own disk where an upload belongs: refused by gradio before our code."""
    return lambda ctx: {**ctx.raw.call(endpoint, data), "files": {slot: OUTSIDE["path"]}}


def direct(endpoint: str, data: list[Any], route: str = "run") -> Callable[[Ctx], Any]:
    return lambda ctx: ctx.raw.direct(endpoint, data, route)


def in_slot(slot: str, name: str) -> tuple[str | None, ...]:
    """Upload arguments that put `name` in `slot` and leave the others empty."""
    return tuple(name if s == slot else None for s in protocol.MEDIA_SLOTS[: protocol.MEDIA_SLOTS.index(slot) + 1])


def raw(endpoint: str, *data: Any, headers: dict | None = None) -> Callable[[Ctx], Any]:
    return lambda ctx: ctx.raw.call(endpoint, list(data), headers)


def settings(**changes: Any) -> str:
    return generate_request({**SHOT, **changes})


OUTSIDE = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}
FINISH_SETTINGS = {**SHOT, "finish": {"operation": "upscale", "scale": 2}}
FINISH_REQUEST = generate_request(FINISH_SETTINGS)
RAW: list[Case] = [
    Case("raw", "no client id", raw_generate(settings(), headers={}), "invalid_request", "client_id"),
    Case("raw", "client id too short", raw_generate(settings(), headers={"X-BMD-Client": "abc"}), "invalid_request", "client_id"),
    Case("raw", "client id of 10 KB", raw_generate(settings(), headers={"X-BMD-Client": "a" * 10_000}), "invalid_request", "client_id"),
    Case("raw", "request not JSON", raw_generate("hello"), "invalid_request", "request"),
    Case("raw", "request a JSON list", raw_generate("[1, 2, 3]"), "invalid_request", "request"),
    Case("raw", "request a number", raw_generate("5"), "invalid_request", "request"),
    Case("raw", "request null", raw_generate(None), "invalid_request", "request"),
    Case("raw", "request of 300 KB", raw_generate(long(300_000)), "invalid_request", "request"),
    Case("raw", "request nested 100,000 deep", raw_generate("[" * 100_000 + "]" * 100_000), "invalid_request", "request"),
    Case("raw", "API version 9.0", raw_generate(generate_request(api_version="9.0")), "invalid_request", "api_version"),
    Case("raw", "API version a number", raw_generate(generate_request(api_version=7)), "invalid_request", "api_version"),
    Case("raw", "no job id", raw_generate(json.dumps({"settings": SHOT})), "invalid_request", "job_id"),
    Case("raw", "job id too short", raw_generate(generate_request(job_id="abc")), "invalid_request", "job_id"),
    Case("raw", "job id a path", raw_generate(generate_request(job_id="../../../etc/passwd")), "invalid_request", "job_id"),
    Case("raw", "job id of 100 KB", raw_generate(generate_request(job_id="a" * 100_000)), "invalid_request", "job_id"),
    Case("raw", "job id a number", raw_generate(generate_request(job_id=12345678)), "invalid_request", "job_id"),
    Case("raw", "unknown request field", raw_generate(generate_request(sneaky=1)), "invalid_request", "sneaky"),
    Case("raw", "no settings", raw_generate(json.dumps({"job_id": "rawnosettings1"})), "invalid_request", "settings"),
    Case("raw", "settings a string", raw_generate(json.dumps({"job_id": "rawsettingsstr", "settings": "x"})), "invalid_request", "settings"),
    Case("raw", "empty prompt", raw_generate(settings(prompt="")), "invalid_settings", "prompt"),
    Case("raw", "prompt of 20,000 characters", raw_generate(settings(prompt=long(20_000))), "invalid_settings", "prompt"),
    Case("raw", "prompt a list", raw_generate(settings(prompt=["a"])), "invalid_settings", "prompt"),
    Case("raw", "unknown model", raw_generate(settings(model_type="nope")), "invalid_settings", "model_type"),
    Case("raw", "empty model", raw_generate(settings(model_type="")), "invalid_settings", "model_type"),
    Case("raw", "frames off the grid", raw_generate(settings(video_length=18)), "invalid_settings", "video_length"),
    Case("raw", "a million frames", raw_generate(settings(video_length=1_000_000)), "invalid_settings", "video_length"),
    Case("raw", "negative frames", raw_generate(settings(video_length=-1)), "invalid_settings", "video_length"),
    Case("raw", "frames of 5,000 digits", raw_generate(settings().replace('"video_length": 17', '"video_length": ' + "9" * 5000)),
         "invalid_request", "request"),
    Case("raw", "resolution not WxH", raw_generate(settings(resolution="abc")), "invalid_settings", "resolution"),
    Case("raw", "resolution 99999x99999", raw_generate(settings(resolution="99999x99999")), "invalid_settings", "resolution"),
    Case("raw", "resolution of 1 KB", raw_generate(settings(resolution=long(1000))), "invalid_settings", "resolution"),
    Case("raw", "seed -5", raw_generate(settings(seed=-5)), "invalid_settings", "seed"),
    Case("raw", "seed 2**40", raw_generate(settings(seed=2**40)), "invalid_settings", "seed"),
    Case("raw", "seed as words", raw_generate(settings(seed="abc")), "invalid_settings", "seed"),
    Case("raw", "zero steps", raw_generate(settings(num_inference_steps=0)), "invalid_settings", "num_inference_steps"),
    Case("raw", "a million steps", raw_generate(settings(num_inference_steps=1_000_000)), "invalid_settings", "num_inference_steps"),
    Case("raw", "guidance NaN", raw_generate(settings(guidance_scale=float("nan"))), "invalid_settings", "guidance_scale"),
    Case("raw", "flow shift 1e9", raw_generate(settings(flow_shift=1e9)), "invalid_settings", "flow_shift"),
    Case("raw", "negative prompt of 20,000 characters", raw_generate(settings(negative_prompt=long(20_000))), "invalid_settings", "negative_prompt"),
    Case("raw", "unknown setting", raw_generate(settings(sed=3)), "invalid_settings", "sed"),
    Case("raw", "sample solver of 1 KB", raw_generate(settings(sample_solver=long(1000))), "invalid_settings", "sample_solver"),
    Case("raw", "extra image_refs path", raw_generate(settings(extra={"image_refs": ["/etc/passwd"]})), "invalid_settings", "extra"),
    Case("raw", "extra audio_guide path", raw_generate(settings(extra={"audio_guide": "/etc/hosts"})), "invalid_settings", "extra"),
    Case("raw", "extra video_mask path", raw_generate(settings(extra={"video_mask": "/dev/zero"})), "invalid_settings", "extra"),
    Case("raw", "extra repeats video_guide", raw_generate(settings(extra={"video_guide": "/dev/zero"})), "invalid_settings", "extra"),
    Case("raw", "extra value a path", raw_generate(settings(extra={"NAG_scale": "../../secret.json"})), "invalid_settings", "extra"),
    Case("raw", "extra value a URL", raw_generate(settings(extra={"NAG_scale": "http://169.254.169.254/"})), "invalid_settings", "extra"),
    Case("raw", "extra value of 200 KB", raw_generate(settings(extra={"NAG_scale": long(200_000)})), "invalid_settings", "extra"),
    Case("raw", "extra unknown key", raw_generate(settings(extra={"made_up_key": 1})), "invalid_settings", "extra"),
    Case("raw", "extra of 100 keys", raw_generate(settings(extra={f"k{i}": i for i in range(100)})), "invalid_settings", "extra"),
    Case("raw", "extra nested dict", raw_generate(settings(extra={"NAG_scale": {"a": {"b": 1}}})), "invalid_settings", "extra"),
    Case("raw", "extra config", raw_generate(settings(extra={"config": 1})), "invalid_settings", "extra"),
    Case("raw", "unknown LoRA", raw_generate(settings(activated_loras=["nope.safetensors"])), "invalid_settings", "activated_loras"),
    Case("raw", "LoRA path traversal", raw_generate(settings(activated_loras=["../../../etc/passwd"])), "invalid_settings", "activated_loras"),
    Case("raw", "100 LoRAs", raw_generate(settings(activated_loras=[f"l{i}" for i in range(100)])), "invalid_settings", "activated_loras"),
    Case("raw", "LoRA weights mismatch", raw_generate(settings(activated_loras=["a"], loras_multipliers=[1, 2])), "invalid_settings", "settings"),
    Case("raw", "server path in image_start", raw_generate(settings(model_type="i2v", image_start="/etc/passwd")), "invalid_settings", "image_start"),
    Case("raw", "server path in video_guide", raw_generate(settings(model_type="vace_14B", video_guide="/etc/passwd")), "invalid_settings", "video_guide"),
    Case("raw", "fault injection: exit at step 1", raw_generate(generate_request(simulation={"exit_at_step": 1})), "invalid_request", "simulation"),
    Case("raw", "fault injection: fail at step 1", raw_generate(generate_request(simulation={"fail_at_step": 1})), "invalid_request", "simulation"),
    Case("raw", "fault injection: hang", raw_generate(generate_request(simulation={"hang_at_step": 1})), "invalid_request", "simulation"),
    Case("raw", "pacing: 60 s a step", raw_generate(generate_request(simulation={"step_seconds": 60})), "invalid_request", "simulation"),
    Case("raw", "image-to-video without an image", raw_generate(settings(model_type="i2v")), "invalid_settings", "image_start"),
    Case("raw", "image for a text-only model", raw_generate(settings(), "good.png"), "invalid_settings", "image_start"),
    Case("raw", "text file as image", raw_generate(settings(model_type="i2v"), "text.png"), "invalid_settings", "image_start"),
    Case("raw", "PNG header, garbage body", raw_generate(settings(model_type="i2v"), "garbage.png"), "invalid_settings", "image_start"),
    Case("raw", "PNG cut in half", raw_generate(settings(model_type="i2v"), "truncated.png"), "invalid_settings", "image_start"),
    Case("raw", "PNG of 144 megapixels", raw_generate(settings(model_type="i2v"), "bomb.png"), "invalid_settings", "image_start"),
    Case("raw", "JPEG of 6 megapixels", raw_generate(settings(model_type="i2v"), "six_mp.jpg"), "invalid_settings", "image_start"),
    Case("raw", "empty file as image", raw_generate(settings(model_type="i2v"), "empty.png"), "invalid_settings", "image_start"),
    Case("raw", "video as image", raw_generate(settings(model_type="i2v"), "good.mp4"), "invalid_settings", "image_start"),
    Case("raw", "last frame garbage", raw_generate(settings(model_type="i2v"), "good.png", "garbage.png"), "invalid_settings", "image_end"),
    Case("raw", "image as video", raw_generate(settings(model_type="vace_14B"), None, None, None, "good.png"), "invalid_settings", "video_guide"),
    Case("raw", "text as video", raw_generate(settings(model_type="vace_14B"), None, None, None, "text.mp4"), "invalid_settings", "video_guide"),
    Case("raw", "MP4 header, garbage body", raw_generate(settings(model_type="vace_14B"), None, None, None, "fake.mp4"), "invalid_settings", "video_guide"),
    Case("raw", "video of 3 s (limit 2)", raw_generate(settings(model_type="vace_14B"), None, None, None, "long.mp4"), "invalid_settings", "video_guide"),
    Case("raw", "text file as reference image", raw_generate(settings(model_type="vace_14B"), *in_slot("image_refs", "text.png")), "invalid_settings", "image_refs"),
    Case("raw", "garbage video as mask", raw_generate(settings(model_type="vace_14B"), *in_slot("video_mask", "fake.mp4")), "invalid_settings", "video_mask"),
    Case("raw", "text file as sound", raw_generate(settings(model_type="ltx2_distilled", resolution=None), *in_slot("audio_guide", "text.mp4")), "invalid_settings", "audio_guide"),
    Case("raw", "image as sound", raw_generate(settings(model_type="ltx2_distilled", resolution=None), *in_slot("audio_guide", "good.png")), "invalid_settings", "audio_guide"),
    Case("raw", "reference image for a model without one", raw_generate(settings(), *in_slot("image_refs", "good.png")), "invalid_settings", "image_refs"),
    Case("raw", "garbage clip to continue", raw_generate(settings(model_type="i2v"), "good.png", None, "fake.mp4"), "invalid_settings", "video_source"),
    # gradio's own three checks, made first by the server (server/request_guard.py) in our typed form
    Case("raw", "upload over the size cap", raw_generate(settings(model_type="i2v"), "over_cap.png"), "invalid_settings", "upload"),
    Case("raw", "a server file as an upload", not_uploaded("generate", [settings(model_type="i2v"), OUTSIDE, *[None] * (SLOTS - 1)], "image_start"), "invalid_settings", "image_start"),
    Case("raw", "too few arguments", raw_generate(settings(), slots=1), "invalid_request", "request"),
    Case("raw", "too many arguments", raw("generate", settings(), *[None] * (SLOTS + 1)), "invalid_request", "request"),
    Case("raw", "cancel without arguments", raw("cancel"), "invalid_request", "request", protocol.CANCEL),
    Case("raw", "a relative path out of the upload folder", not_uploaded("generate", [settings(model_type="i2v"), {**OUTSIDE, "path": "../../../etc/passwd"}, *[None] * (SLOTS - 1)], "image_start"), "invalid_settings", "image_start"),
    Case("raw", "a file given by URL", not_uploaded("generate", [settings(model_type="i2v"), {"url": "http://169.254.169.254/x.png", "meta": {"_type": "gradio.FileData"}}, *[None] * (SLOTS - 1)], "image_start"), "invalid_settings", "image_start"),
    Case("raw", "no endpoint of this index", lambda ctx: ctx.raw.join(json.dumps({"data": [], "fn_index": 10_000, "session_hash": "s0000001"})), "invalid_request", "fn_index"),
    Case("raw", "a call that is not JSON", lambda ctx: ctx.raw.join("not json"), "invalid_request", "request"),
    # the REST route past the queue (and the GPU's concurrency limit) is closed: api_open=False
    Case("raw", "POST /run/generate past the queue", direct("generate", [settings(), *[None] * SLOTS]), "http"),
    Case("raw", "POST /run/generate_refs past the queue", direct("generate_refs", [settings(), *[None] * SLOTS, None]), "http", target="/generate_refs"),
    Case("raw", "POST /run/finish past the queue", direct("finish", [FINISH_REQUEST, None]), "http", target=protocol.FINISH),
    Case("raw", "POST /run/cancel past the queue", direct("cancel", ["abcdefgh12"]), "http", target=protocol.CANCEL),
    Case("raw", "POST /run/job_result past the queue", direct("job_result", ["abcdefgh12"]), "http", target=protocol.JOB_RESULT),
    Case("raw", "POST /api/generate past the queue", direct("generate", [settings(), *[None] * SLOTS], "api"), "http"),
    # /finish: the request, then the clip as an upload
    Case("raw", "finish: request not JSON", raw_uploads("finish", "hello", None), "invalid_request", "request", protocol.FINISH),
    Case("raw", "finish: a shot, not a finish", raw_uploads("finish", settings(), "good.mp4"), "invalid_settings", "finish", protocol.FINISH),
    Case("raw", "finish: no clip uploaded", raw_uploads("finish", FINISH_REQUEST, None), "invalid_settings", "finish.source", protocol.FINISH),
    Case("raw", "finish: a path in the request", raw_uploads("finish", settings(finish={"operation": "upscale", "source": "/etc/passwd"}), "good.mp4"), "invalid_settings", "finish.source", protocol.FINISH),
    Case("raw", "finish: text file as the clip", raw_uploads("finish", FINISH_REQUEST, "text.mp4"), "invalid_settings", "finish.source", protocol.FINISH),
    Case("raw", "finish: garbage MP4 as the clip", raw_uploads("finish", FINISH_REQUEST, "fake.mp4"), "invalid_settings", "finish.source", protocol.FINISH),
    Case("raw", "finish: fault injection", raw_uploads("finish", generate_request(settings=FINISH_SETTINGS, simulation={"exit_at_step": 1}), "good.mp4"), "invalid_request", "simulation", protocol.FINISH),
    Case("raw", "finish: a server file as the clip", not_uploaded("finish", [FINISH_REQUEST, OUTSIDE], "finish.source"), "invalid_settings", "finish.source", protocol.FINISH),
    # /generate_refs: /generate plus further reference images
    Case("raw", "refs: text file as a further reference", raw_uploads("generate_refs", settings(model_type="vace_14B"), *in_slot("image_refs", "good.png"), *[None] * (SLOTS - 5), ("text.png",)), "invalid_settings", "image_refs_more", "/generate_refs"),
    Case("raw", "refs: 8 further references (limit 7)", raw_uploads("generate_refs", settings(model_type="vace_14B"), *in_slot("image_refs", "good.png"), *[None] * (SLOTS - 5), ("good.png",) * 8), "invalid_settings", "image_refs_more", "/generate_refs"),
    Case("raw", "refs: paths in the request", raw_uploads("generate_refs", settings(model_type="vace_14B", image_refs_more=["/etc/passwd"]), *[None] * SLOTS, None), "invalid_settings", "image_refs_more", "/generate_refs"),
    Case("raw", "refs: a server file as a further reference", not_uploaded("generate_refs", [settings(model_type="vace_14B"), *[None] * SLOTS, [OUTSIDE]], "image_refs_more"), "invalid_settings", "image_refs_more", "/generate_refs"),
    # /job_result: how one of the caller's jobs stands
    Case("raw", "job_result without a client id", raw("job_result", "abcdefgh12", headers={}), "invalid_request", "client_id", protocol.JOB_RESULT),
    Case("raw", "job_result of a path", raw("job_result", "../../etc/passwd"), "invalid_request", "job_id", protocol.JOB_RESULT),
    Case("raw", "job_result of a 100 KB id", raw("job_result", "j" * 100_000), "invalid_request", "job_id", protocol.JOB_RESULT),
    Case("raw", "job_result of null", raw("job_result", None), "invalid_request", "job_id", protocol.JOB_RESULT),
    Case("raw", "cancel without a client id", raw("cancel", "abcdefgh12", headers={}), "invalid_request", "client_id", protocol.CANCEL),
    Case("raw", "cancel an empty id", raw("cancel", ""), "invalid_request", "job_id", protocol.CANCEL),
    Case("raw", "cancel a 100 KB id", raw("cancel", "a" * 100_000), "invalid_request", "job_id", protocol.CANCEL),
    Case("raw", "cancel an id with spaces", raw("cancel", "not a job"), "invalid_request", "job_id", protocol.CANCEL),
    Case("raw", "cancel null", raw("cancel", None), "invalid_request", "job_id", protocol.CANCEL),
    Case("raw", "jobs without a client id", raw("jobs", headers={}), "invalid_request", "client_id", protocol.JOBS),
    Case("raw", "defaults of an unknown model", raw("model_defaults", "nope"), "invalid_settings", "model_type", protocol.MODEL_DEFAULTS),
    Case("raw", "defaults of an empty model", raw("model_defaults", ""), "invalid_settings", "model_type", protocol.MODEL_DEFAULTS),
    Case("raw", "defaults of a 100 KB model id", raw("model_defaults", "m" * 100_000), "invalid_settings", "model_type", protocol.MODEL_DEFAULTS),
    Case("raw", "LoRAs of an unknown model", raw("loras", "nope"), "invalid_settings", "model_type", protocol.LORAS),
    Case("raw", "LoRAs of null", raw("loras", None), "invalid_settings", "model_type", protocol.LORAS),
]

ALL = PYTHON + CLI + RAW


# ---------------------------------------------------------------- running a case


@dataclass
class Outcome:
    case: Case
    before_sending: bool
    kind: str
    detail: str
    by_gradio: bool = False  # refused by gradio's own check (typed by the client's reading of it)


RESULTS: dict[str, Outcome] = {}
MEANT_TO_RUN: set[str] = set()  # the only jobs that may take the GPU


@pytest.fixture(scope="module")
def ctx(server: launcher.ServerProcess, media: dict[str, Path], tmp_path_factory) -> Iterator[Ctx]:
    tmp = tmp_path_factory.mktemp("corpus-clips")
    with Wan2GPClient(server.url, output_dir=tmp) as client, Wan2GPClient(server.url, output_dir=tmp) as other:
        yield Ctx(server, client, other, Raw(server.url, "raw-corpus-client-0001"), media, tmp)


def classify(case: Case, ctx: Ctx) -> Outcome:
    sent_before = len(SENT)
    try:
        result = case.run(ctx)
    except DirectorError as error:
        text = f"{error.message} — {error.hint}"
        assert "Traceback" not in text and "File \"" not in text, text
        if case.field is not None:
            assert getattr(error, "field", None) == case.field or (
                case.kind == "login" and case.field in error.message), f"{type(error).__name__}: {error}"
        sent = any(endpoint == case.target for endpoint, _ in SENT[sent_before:])
        return Outcome(case, not sent, error.kind, error.message)
    if isinstance(result, CliOutcome):
        assert "Traceback" not in result.stderr, result.stderr
        sent = any(endpoint == case.target for endpoint, _ in SENT[sent_before:])
        if result.code == 2 and "usage:" in result.stderr:
            return Outcome(case, True, "usage", result.stderr.strip().splitlines()[-1])
        first = next((line for line in result.stderr.splitlines() if line.startswith("error: ")), "")
        assert result.code == 1 and first, result  # a progress bar may come first, on its own line
        if case.field is not None:
            assert case.field in first, result.stderr
        return Outcome(case, not sent, case.kind, first)
    if isinstance(result, dict) and "http" in result:
        text = str(result.get("text", ""))
        error = protocol.decode_error(text) or typed_refusal(text, result.get("files"), endpoint=case.target,
                                                             status_code=result["http"])
        if error is None:
            return Outcome(case, False, "http", f"HTTP {result['http']}: {text[:120]}", by_gradio=True)
        if case.field is not None:
            assert getattr(error, "field", None) == case.field, f"{type(error).__name__}: {error}"
        return Outcome(case, False, error.kind, error.message, by_gradio=protocol.decode_error(text) is None)
    if isinstance(result, dict) and result.get("msg") == "process_completed" and not result.get("success"):
        message = str((result.get("output") or {}).get("error") or "")
        assert "Traceback" not in message
        error = protocol.decode_error(message)
        by_gradio = error is None
        if error is None:  # gradio's own refusal: what our client makes of it
            error = typed_refusal(message, result.get("files"), endpoint=case.target)
        if error is None:
            return Outcome(case, False, "gradio", message.splitlines()[0][:120] if message else "", by_gradio=True)
        if case.field is not None:
            assert getattr(error, "field", None) == case.field, f"{type(error).__name__}: {error}"
        return Outcome(case, False, error.kind, error.message, by_gradio=by_gradio)
    raise AssertionError(f"{case.door} / {case.name}: not refused: {str(result)[:300]}")


@pytest.mark.parametrize("case", ALL, ids=[f"{c.door}: {c.name}" for c in ALL])
def test_bad_input_is_refused_with_the_right_kind(case: Case, ctx: Ctx) -> None:
    outcome = classify(case, ctx)
    RESULTS[f"{case.door}: {case.name}"] = outcome
    assert outcome.kind == case.kind, f"{case.door} / {case.name}: {outcome.kind} ({outcome.detail}), wanted {case.kind}"
    assert ctx.server.alive(), "the server died"
    assert ctx.client.server_status().engine  # and still answers


# ---------------------------------------------------------------- ownership, fault injection


def test_one_client_can_neither_list_nor_cancel_anothers_job(ctx: Ctx) -> None:
    mine = ctx.client.submit({**SHOT, "num_inference_steps": 200}, output_dir=ctx.tmp)  # 10 s at 0.05 s a step
    MEANT_TO_RUN.add(mine.id)
    wait_until(lambda: (mine.status().step or 0) >= 1, 30, "the job to start")
    assert mine.id in {r.job_id for r in ctx.client.server_jobs()}
    assert ctx.client.server_status().current_job_id == mine.id
    assert mine.id not in {r.job_id for r in ctx.other.server_jobs()}
    assert ctx.other.server_status().current_job_id is None  # not named to another client
    with pytest.raises(InvalidRequestError, match="not one of this client's jobs"):
        ctx.other.cancel_job(mine.id)
    stranger = ctx.raw.call("cancel", [mine.id])  # raw HTTP, a third identity
    assert protocol.decode_error(stranger["output"]["error"]).kind == "invalid_request"  # type: ignore[union-attr]
    assert mine.status().state.value == "running"  # still running after all that
    mine.cancel()
    assert mine.status().state.value == "cancelled"


def test_fault_injection_is_refused_by_a_normally_started_server(ctx: Ctx) -> None:
    assert not ctx.client.server_status().test_controls
    refused = ctx.raw.call("generate", [generate_request(simulation={"exit_at_step": 1}), *[None] * SLOTS])
    error = protocol.decode_error(refused["output"]["error"])
    assert error is not None and error.kind == "invalid_request" and "not started for tests" in error.message
    assert ctx.server.alive()


# ---------------------------------------------------------------- memory and disk


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def temp_dir_of(server: launcher.ServerProcess) -> Path:
    found = re.findall(r"copies of outputs go to (\S+)", server.log_file.read_text())
    return Path(found[-1])


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024**2


def test_memory_and_disk_stay_bounded_under_junk_cancels_and_large_uploads(ctx: Ctx) -> None:
    pid = ctx.server.pid
    junk = Raw(ctx.server.url, "junk-canceller-0001")

    refused_at_door = []

    def cancels(ids: list[str]) -> None:
        answered, refused = junk.burst("cancel", [[job_id] for job_id in ids])
        assert answered + refused == len(ids)  # each answered, or refused at once by the client's rate limit
        refused_at_door.append(refused)

    def settled() -> float:
        time.sleep(2 * SWEEP_SECONDS + 1)  # the pruner forgets finished calls within two sweeps
        return rss_mb(pid)

    def junk_round() -> float:
        cancels([secrets.token_hex(32) for _ in range(1000)])  # unknown ids of 64 characters: remembered, bounded
        cancels(["x" * 100_000 + str(i) for i in range(300)])  # 100 KB ids: refused, never kept
        return settled()

    start = rss_mb(pid)
    rounds = [junk_round() for _ in range(5)]  # the first sets the high-water mark of 1,300 calls in flight

    temp = temp_dir_of(ctx.server)
    uploads = ctx.tmp / "uploads"
    uploads.mkdir(exist_ok=True)
    before_uploads = rss_mb(pid)
    for i in range(6):  # 6 distinct 40 MB "PNG"s: uploaded, probed, refused, deleted
        big = uploads / f"big{i}.png"
        with big.open("wb") as handle:
            handle.write(b"\x89PNG\r\n\x1a\n" + os.urandom(1024))
            handle.truncate(40 * 1024**2)
        with pytest.raises(DirectorError) as caught:
            ctx.client.submit({**I2V, "image_start": big}, output_dir=ctx.tmp).result(timeout=120)
        assert caught.value.kind == "invalid_settings" and caught.value.field == "image_start"  # type: ignore[attr-defined]
        big.unlink()
    after_uploads = rss_mb(pid)
    left_mb = folder_mb(temp)
    print(f"\nserver RSS: {start:.1f} MB, then {', '.join(f'{r:.1f}' for r in rounds)} MB after each round of "
          f"1,000 junk cancels and 300 cancels of 100 KB ids; {before_uploads:.1f} → {after_uploads:.1f} MB over 6 "
          f"uploads of 40 MB (refused); {left_mb:.2f} MB left in its upload folder; calls refused by the "
          f"rate limit in each burst: {refused_at_door}")
    # bounded: without pruning gradio's events each round added ~80 MB. The allocator's high-water mark
    # jumps now and then (measured: +31 MB once, then ~1 MB a round), so the typical round is judged
    growth = [later - earlier for earlier, later in itertools.pairwise(rounds)]
    assert statistics.median(growth) < 20 and rounds[-1] - rounds[0] < 100, growth
    assert after_uploads - before_uploads < 60
    assert left_mb < 1  # the refused uploads were deleted


def test_a_second_client_gets_its_job_done_during_another_clients_junk_burst(ctx: Ctx) -> None:
    junk = Raw(ctx.server.url, "junk-burster-00001")
    outcome: dict[str, tuple[int, int]] = {}
    burst = threading.Thread(target=lambda: outcome.update(
        junk=junk.burst("cancel", [["y" * 100_000 + str(i)] for i in range(1300)])))
    burst.start()
    try:
        job = ctx.other.submit(SHOT, output_dir=ctx.tmp)  # while the junk arrives
        MEANT_TO_RUN.add(job.id)
        clip = job.result(timeout=120)
    finally:
        burst.join(180)
    answered, refused = outcome["junk"]
    print(f"\njunk burst: {answered} answered, {refused} refused at the door; the other client's job: "
          f"{clip.video_path.name}")
    assert clip.video_path.exists() and answered + refused == 1300 and refused > answered


# ---------------------------------------------------------------- the whole corpus


def test_corpus_summary(ctx: Ctx) -> None:
    if len(RESULTS) < len(ALL):
        pytest.skip("the corpus did not run in full (filtered or failed)")
    table = Counter()
    for outcome in RESULTS.values():
        door = outcome.case.door
        table[door, "tried"] += 1
        table[door, "before"] += outcome.before_sending
        table[door, "server"] += not outcome.before_sending and not outcome.by_gradio
        table[door, "typed"] += outcome.by_gradio and outcome.kind not in ("gradio", "http")
        table[door, "gradio"] += outcome.kind in ("gradio", "http")
    print("\ndoor     tried  refused before sending  refused by our server (right kind)  "
          "refused by gradio, typed by our client (right kind)  refused by gradio, untyped (HTTP)")
    for door in ("python", "cli", "raw"):
        print(f"{door:8} {table[door, 'tried']:5}  {table[door, 'before']:22}  {table[door, 'server']:34}  "
              f"{table[door, 'typed']:51}  {table[door, 'gradio']:32}")
    assert len(RESULTS) >= 130
    # gradio's three own checks are made by our server first: only the closed REST route is gradio's answer
    assert sum(table[door, "typed"] for door in ("python", "cli", "raw")) == 0, table
    assert sum(table[door, "gradio"] for door in ("python", "cli", "raw")) == sum(c.kind == "http" for c in ALL), table
    log = ctx.server.log_file.read_text()
    assert "Traceback" not in log, "a traceback in the server log"
    started = set(re.findall(r"job (\S+) started", log))
    assert started <= MEANT_TO_RUN, f"refused jobs took the GPU: {sorted(started - MEANT_TO_RUN)}"
