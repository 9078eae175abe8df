"""The terminal client: generate a clip, list models, show the server's status.

    python -m blender_movie_director generate --prompt "a fox in snow" --model t2v_1.3B --frames 33 --out clip.mp4
    python -m blender_movie_director models [--group image_to_video] [--family wan2_2] [--downloaded]
    python -m blender_movie_director status
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

from ..common.addresses import DEFAULT_URL
from ..common.enums import JobState, MediaInput, ModelGroup, OutputKind
from ..common.errors import DirectorError, InvalidSettingsError
from ..common.lora_choice import lora_settings, parse_lora
from ..common.messages import JobStatus
from ..common.model_info import ModelInfo
from .terminal import cancel_quickly, check_seconds, check_timeout, deliver, output_folder, wait_for_clip
from .wan2gp_client import Wan2GPClient


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m blender_movie_director",
                                     description="Drive a Blender Movie Director server from a terminal.")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"Director server (default {DEFAULT_URL})")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="generate one clip and save it")
    gen.add_argument("--prompt", required=True)
    gen.add_argument("--negative-prompt", default="")
    gen.add_argument("--model", default="t2v_1.3B", help="a model id from `models`")
    length = gen.add_mutually_exclusive_group()
    length.add_argument("--frames", type=int, help="frame count on the model's grid")
    length.add_argument("--seconds", type=float, help="duration, snapped to the model's frame grid")
    gen.add_argument("--resolution", help="WIDTHxHEIGHT, e.g. 832x480")
    gen.add_argument("--steps", type=int)
    gen.add_argument("--seed", type=int, default=-1)
    gen.add_argument("--guidance", type=float)
    gen.add_argument("--image-start", type=Path, help="first frame, for image-to-video models")
    gen.add_argument("--image-end", type=Path, help="last frame, for first/last-frame models")
    gen.add_argument("--image-ref", type=Path, dest="image_refs", help="a reference image (person, object, place)")
    gen.add_argument("--video-source", type=Path, help="a clip to continue")
    gen.add_argument("--video-guide", type=Path, help="a control video to follow")
    gen.add_argument("--video-mask", type=Path, help="the area of the control video to change")
    gen.add_argument("--image-guide", type=Path, help="a control image (image models)")
    gen.add_argument("--image-mask", type=Path, help="the area of the control image to change")
    gen.add_argument("--audio", type=Path, dest="audio_guide", help="a voice or sound track that drives the clip")
    gen.add_argument("--lora", action="append", default=[], metavar="NAME:MULTIPLIER",
                     help="a LoRA of the model (from the server's list) and its multiplier, e.g. "
                          "film_grain.safetensors:0.7; repeat for several")
    gen.add_argument("--out", type=Path, required=True, help="where to save the clip (.mp4)")
    gen.add_argument("--timeout", type=float, default=3600)
    models = commands.add_parser("models", help="list the server's models: what each does, needs and takes, "
                                                "and whether its weights are downloaded")
    models.add_argument("--group", choices=[g.value for g in ModelGroup], help="only models that do this")
    models.add_argument("--family", help="only this Wan2GP family (e.g. wan2_2, ltx2, flux)")
    models.add_argument("--downloaded", action="store_true", help="only models whose weights are downloaded")
    commands.add_parser("status", help="show the server's status")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with Wan2GPClient(args.url) as client:
            return {"generate": _generate, "models": _models, "status": _status}[args.command](client, args)
    except DirectorError as error:
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"  what to do: {error.hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `… models | head` closed the pipe: not an error
        return 0


def _generate(client: Wan2GPClient, args: argparse.Namespace) -> int:
    check_timeout(args.timeout)
    settings = {"model_type": args.model, "prompt": args.prompt, "negative_prompt": args.negative_prompt,
                "seed": args.seed, "resolution": args.resolution, "num_inference_steps": args.steps,
                "guidance_scale": args.guidance, "video_length": args.frames,
                **{m.value: getattr(args, m.value) for m in MediaInput},
                **lora_settings(parse_lora(text) for text in args.lora)}
    if args.seconds is not None:
        model = client.get_model(args.model)
        sound = model.output is OutputKind.AUDIO  # 0 s: as long as the words take
        if not math.isfinite(args.seconds) or args.seconds < 0 or (args.seconds == 0 and not sound):
            raise InvalidSettingsError("seconds", f"{args.seconds} s: a clip must last longer than zero",
                                       hint="give --seconds a positive number, e.g. 2")
        if sound:
            settings["duration_seconds"] = args.seconds  # sound is as long as asked, no frame grid
        else:
            settings["video_length"] = check_seconds(model, args.seconds)  # finite, positive, in its range
    job = client.submit({k: v for k, v in settings.items() if v is not None},
                        output_dir=output_folder(args.out).resolve())
    bar = ProgressBar(sys.stderr)
    try:
        result = wait_for_clip(job, args.timeout, bar)  # the hung-server watchdog runs in job.done()
    except KeyboardInterrupt:
        bar.end()
        print("cancelling…", file=sys.stderr)
        cancel_quickly(job)  # a second or two at most, even when the server hangs
        return 130
    if result.note:  # e.g. its folder could not take it: kept in the rescue folder
        print(f"note: {result.note}", file=sys.stderr)
    result = deliver(result, args.out)  # a folder means a file inside it; the sidecar goes along
    target = result.video_path
    print(f"saved {target} — {result.frames} frames at {result.fps:g} fps, {result.width}x{result.height}, "
          f"seed {result.seed}, {result.total_seconds:.1f} s")
    return 0


def _models(client: Wan2GPClient, args: argparse.Namespace) -> int:
    models = [m for m in client.list_models()
              if (args.group is None or ModelGroup(args.group) in m.groups)
              and (args.family is None or m.family == args.family) and (not args.downloaded or m.available)]
    for line in model_lines(models):
        print(line)
    return 0


def model_lines(models: list[ModelInfo]) -> list[str]:
    """One line per model, grouped by what it does: id, family, weights, what it needs and takes, its
    frames (or sound), its name; then a count by family."""
    lines: list[str] = []
    for group in ModelGroup:
        members = [m for m in models if m.group is group]
        if not members:
            continue
        lines.append(f"{group.label} ({len(members)})")
        for m in members:
            needs = ", ".join(i.label.split(" ", 1)[1] for i in m.required_inputs)
            takes = ", ".join(i.label.split(" ", 1)[1] for i in m.media_inputs if i not in m.required_inputs)
            inputs = "; ".join(part for part in (f"needs {needs}" if needs else "",
                                                 f"takes {takes}" if takes else "") if part) or "a prompt only"
            weights = "downloaded" if m.available else "not downloaded"
            lines.append(f"  {m.id:44} {m.family_name:18} {weights:14} {inputs:72} {m.frame_grid:40} {m.name}")
    families = Counter(m.family_name for m in models)
    sound = sum(m.output is OutputKind.AUDIO for m in models)
    lines.append(f"{len(models)} models ({len(models) - sound} video and image, {sound} sound), "
                 f"{sum(m.available for m in models)} downloaded; by family: "
                 + ", ".join(f"{name} {n}" for name, n in families.most_common()))
    return lines


def _status(client: Wan2GPClient, args: argparse.Namespace) -> int:
    s = client.server_status()
    print(f"{client.url}: engine {s.engine.value}, device {s.device}, API {s.api_version}, gradio {s.gradio_version}, "
          f"{'busy' if s.busy else 'idle'}, queue {s.queue_length}")
    return 0


class ProgressBar:
    """One line, redrawn in place: bar, percent, phase, step x/y, queue position, ETA."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = max(10, min(30, shutil.get_terminal_size((80, 20)).columns - 50))

    def show(self, status: JobStatus) -> None:
        filled = int(status.progress * self.width)
        parts = [f"[{'#' * filled}{'.' * (self.width - filled)}] {status.progress:4.0%}", status.phase_label]
        if status.step is not None and status.total_steps and status.state is JobState.RUNNING:
            parts.append(f"step {status.step}/{status.total_steps}" + (f" ({status.stage})" if status.stage else ""))
        if status.eta_seconds is not None:
            parts.append(f"ETA {status.eta_seconds:.0f}s")
        self.stream.write("\r" + "  ".join(parts).ljust(70)[:120])
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
