"""Fake Wan2GP runtime (the real one is Wan2GP's 13 000-line wgp.py). For tests only.

Serves what the real WanGP 12.60 (commit 8681e9f777f9f847f74a0bdefd13d5b9a6efe12d) returned, as
recorded in recording/catalog.json.gz: all 217 model definitions with their metadata, schema
values and full factory settings. shared/api.py reads them through the same functions the real
api.py calls (get_model_def, list_model_defs, get_factory_settings, get_model_handler, weights,
LoRAs), and validate_task / generate_media keep the real send_cmd traffic ("status" Loading model…,
"progress" [(step, total), text, total], "output", "error"). Instead of running a model it renders
small real files: mp4 (imageio-ffmpeg, with a sound track for models whose outputs include audio),
jpg stills (Pillow) and wav sound.

Late post-processing (shared/api.py submit_media_postprocessing / submit_audio_remux: tasks with
`mode` "edit_postprocessing" / "edit_remux" and no model_type) is validated with wgp.py's words and
done for real on small clips: Lanczos (and FlashVSR, as Lanczos) spatial upsampling, RIFE temporal
upsampling (new frames cross-faded, ×2 or ×4 the rate), MMAudio as a generated tone muxed in; the
result is `<source>_post.mp4` in the output folder carrying the source's settings plus the method's.

Progress reads like the real callback (wgp.py build_callback): "Denoising" per step, "Denoising
First Phase" / "Second Phase" with the step count starting again for LTX-2's two stages, "Phase 1/2
High Noise" → "Phase 2/2 Low Noise" inside one count for Wan 2.2, "Sliding Window k/n - …" before
each window's steps, and "VAE Decoding" on the last step of every pass.

Test hooks a real Wan2GP does not have (in the prompt, which reaches Wan2GP whatever a client or the
Director server checks; a real Wan2GP would merely draw the words):
  ckpts/<model_type>.safetensors       → that model's weights are downloaded (else: "missing", and a
                                         generation fails the way an offline Wan2GP does)
  "[fake fail_at_step=N]"              → the generation error Wan2GP reports when a step crashes
  "[fake step_seconds=S]"              → pace of the denoising steps
  "[fake validation_error=TEXT]"       → validate_task refuses the task with message TEXT
  env FAKE_WAN2GP_NO_CUDA=1            → import fails as on a CPU-only torch (AssertionError)
  env FAKE_WAN2GP_INIT_SECONDS / FAKE_WAN2GP_STEP_SECONDS
  env FAKE_WAN2GP_LOAD_SECONDS         → time before "Loading model …" (recorded: ~0.75 s)
"""

import argparse
import copy
import glob
import gzip
import json
import math
import os
import re
import struct
import sys
import time
import wave
from datetime import datetime
from pathlib import Path

target_mmgp_version = "3.7.12"
WanGP_version = "12.60"
settings_version = 2.74

ROOT = Path(__file__).resolve().parent
RECORDING = ROOT / "recording" / "catalog.json.gz"
ATTACHMENT_KEYS = ["image_start", "image_end", "image_refs", "image_guide", "image_mask", "video_guide", "video_guide2",
                   "video_mask", "video_source", "audio_guide", "audio_guide2", "audio_source",
                   "replace_voice_sample", "replace_voice_sample2", "custom_guide"]
HUB_ERROR = ("An error happened while trying to locate the file on the Hub and we cannot find the requested files in "
             "the local cache. Please check your connection and try again or make sure your Internet connection is on.")
LOAD_SECONDS = 0.75  # recorded: "Loading model …" came ~0.75 s after "started"
_HOOK = re.compile(r"\[fake (\w+)=([^\]]*)\]")


def _hooks(prompt):
    """The test hooks written in a prompt, e.g. {"fail_at_step": "2"}."""
    return dict(_HOOK.findall(str(prompt or "")))


def _parse_args(argv):
    """The flags of shared/cli_args.py that matter here; an unknown one exits like argparse does."""
    parser = argparse.ArgumentParser(prog="wgp.py")
    for flag in ("--profile", "--attention", "--gpu", "--preload", "--perc-reserved-mem-max",
                 "--vram-safety-coefficient", "--verbose", "--vae-config", "--config", "--settings", "--loras",
                 "--server-port", "--server-name", "--output-dir", "--process"):
        parser.add_argument(flag, type=str, default=None)
    for flag in ("--compile", "--fp16", "--bf16", "--check-loras", "--listen", "--share", "--lock-config"):
        parser.add_argument(flag, action="store_true")
    return parser.parse_args(argv)


args = _parse_args(sys.argv[1:])
print(f"[fake wgp] WanGP {WanGP_version} starting with profile={args.profile} attention={args.attention} "
      f"compile={args.compile} gpu={args.gpu} preload={args.preload} fp16={args.fp16} bf16={args.bf16}", flush=True)
if os.environ.get("FAKE_WAN2GP_NO_CUDA") == "1":
    # what shared/attention.py does at import on a CPU-only torch
    raise AssertionError("Torch not compiled with CUDA enabled")
for line in ("Loading model definitions...", "Checking ffmpeg...", "Registering LoRA folders..."):
    print(f"[fake wgp] {line}", flush=True)
    time.sleep(float(os.environ.get("FAKE_WAN2GP_INIT_SECONDS", "0.1")) / 3)

server_config = {"save_path": "outputs", "image_save_path": "outputs", "audio_save_path": "outputs",
                 "notification_sound_enabled": 1, "metadata_type": "metadata"}
save_path = image_save_path = audio_save_path = "outputs"
gen_in_progress = False
wan_model = None
app = None

# ---------------------------------------------------------------- model definitions, from the recording


def _load_model_defs():
    """model_type → a model definition holding what the real one publishes through shared/api.py."""
    with gzip.open(RECORDING, "rt", encoding="utf-8") as handle:
        recorded = json.load(handle)["models"]
    defs = {}
    for model_type, entry in recorded.items():
        metadata = copy.deepcopy(entry["metadata"])
        metadata.pop("availability", None)  # computed from ckpts/ (see weights_status)
        schema = (entry.get("schema") or {}).get("metadata") or {}
        values = metadata.get("setting_values") or {}
        main = list(metadata.get("main_output") or [])
        defs[model_type] = {
            "name": metadata.get("name", model_type),
            "architecture": metadata.get("base_model_type", model_type),
            "description": schema.get("description", ""),
            "fps": schema.get("fps"),
            "frames_minimum": schema.get("frames_minimum"),
            "frames_steps": schema.get("frames_steps"),
            "infos": schema.get("infos", ""),
            "prompt_infos": schema.get("prompt_infos", ""),
            "sliding_window": bool(schema.get("sliding_window", False)),
            "image_prompt_types_allowed": str((values.get("image_prompt_type") or {}).get("allowed") or ""),
            "image_ref_choices": (values.get("video_prompt_type") or {}).get("image_ref_choices"),
            "audio_prompt_type_sources": (values.get("audio_prompt_type") or {}).get("sources"),
            "image_outputs": main == ["image"],
            "audio_only": main == ["audio"],
            "returns_audio": "audio" in (metadata.get("outputs") or []) and main != ["audio"],
            "no_lora": not (entry.get("loras") or {}).get("supported", True),
            "metadata": metadata,
            "settings": entry["default_settings"],
            "window": schema.get("frames_maximum"),  # what the handler's default sliding window gives
        }
    return defs


models_def = _load_model_defs()


class WAN2GPApplication:
    def __init__(self):
        self.plugin_manager = None


def download_ffmpeg():
    return None  # the real one fetches ffmpeg from GitHub when it is not on PATH


def get_model_def(model_type):
    return models_def.get(model_type)


def get_model_name(model_type):
    return models_def[model_type]["name"]


def get_model_family(model_type):
    return models_def[model_type]["metadata"]["family"]


def list_model_defs(family=None, base_model_type=None, finetune=None, model_type=None, main_output=None,
                    inputs=None):
    records = []
    for key, model_def in models_def.items():
        meta = model_def["metadata"]
        if family is not None and meta["family"] not in _as_list(family):
            continue
        if base_model_type is not None and meta["base_model_type"] not in _as_list(base_model_type):
            continue
        if model_type is not None and key not in _as_list(model_type):
            continue
        if main_output is not None and not set(_as_list(main_output)) & set(meta["main_output"]):
            continue
        if inputs is not None and not set(_as_list(inputs)) <= set(meta["inputs"]):
            continue
        if finetune is not None and bool(finetune) != meta["finetune"]:
            continue
        records.append({**copy.deepcopy(model_def), "model_type": key})
    return records


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def get_factory_settings(model_type):
    return copy.deepcopy(models_def[model_type]["settings"])


def get_model_handler(model_type):
    return _Handler(model_type)


class _Handler:
    def __init__(self, model_type):
        self.model_type = model_type

    def update_default_settings(self, base_model_type, model_def, ui_defaults):
        if model_def.get("window"):
            ui_defaults["sliding_window_size"] = model_def["window"]


def get_lora_dir(model_type):
    return f"loras/{get_model_family(model_type)}"


def setup_loras(model_type, transformer, lora_dir, lora_preselected_preset, split_linear_modules_map=None):
    lora_dir = get_lora_dir(model_type)
    found = sorted(glob.glob(os.path.join(lora_dir, "**", "*.safetensors"), recursive=True)) if lora_dir and \
        os.path.isdir(lora_dir) else []
    loras = [os.path.relpath(path, lora_dir).replace("\\", "/") for path in found]
    return loras, [], [], "", "", ""


def weights_status(model_type):
    """0 missing, 2 downloaded (shared/model_dropdowns.py's codes): here, ckpts/<model_type>.safetensors."""
    return 2 if (ROOT / "ckpts" / f"{model_type}.safetensors").is_file() else 0


def release_model():
    global wan_model
    wan_model = None


def _is_edit_task_params(params):
    return str(params.get("mode", "") or "").startswith("edit_")


def _given(value):
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple)):
        return any(_given(item) for item in value)
    return value is not None


def validate_task(task, state):
    """The refusals of wgp.py's validation that depend on the task's prompt-type letters, same words."""
    params = copy.deepcopy(task.get("params", {}))
    if _is_edit_task_params(params):
        return _validate_edit(params)
    model_type = params.get("model_type")
    if not model_type:
        print("  [SKIP] No model_type specified")
        return None, "No model_type specified"
    model_def = get_model_def(model_type)
    allowed = model_def.get("image_prompt_types_allowed", "")  # AttributeError on an unknown model, as in Wan2GP
    if _hooks(params.get("prompt")).get("validation_error"):
        return None, _hooks(params.get("prompt"))["validation_error"]
    settings = get_factory_settings(model_type)
    settings.update(params)
    image_flags = str(settings.get("image_prompt_type") or "")
    video_flags = str(settings.get("video_prompt_type") or "")
    audio_flags = str(settings.get("audio_prompt_type") or "")
    image_outputs = model_def.get("image_outputs", False)
    if "V" in image_flags and not _given(settings.get("video_source")):
        return None, "You must provide a Source Video file to continue"
    if "A" in audio_flags and not _given(settings.get("audio_guide")):
        return None, "You must provide an Audio Source"
    if "B" in audio_flags and not _given(settings.get("audio_guide2")):
        return None, "You must provide a second Audio Source"
    if "I" in video_flags and not _given(settings.get("image_refs")):
        return None, "You must provide at least one Reference Image"
    if "V" in video_flags:
        guide = "image_guide" if image_outputs else "video_guide"
        if not _given(settings.get(guide)):
            return None, "You must provide a Control Image" if image_outputs else "You must provide a Control Video"
        mask = "image_mask" if image_outputs else "video_mask"
        if "A" in video_flags and "U" not in video_flags and not _given(settings.get(mask)):
            return None, "You must provide a Image Mask" if image_outputs else "You must provide a Video Mask"
    if "S" in image_flags:
        if "S" not in allowed:
            return None, "This model doesn't accept a Start Image"
        if not _given(settings.get("image_start")):
            return None, "You must provide a Start Image"
    if "E" in image_flags:
        if "E" not in allowed:
            return None, "This model doesn't accept an End Image"
        if not _given(settings.get("image_end")):
            return None, "You must provide an End Image"
    return settings, ""


# ---------------------------------------------------------------- generation


class _FakeModel:
    def __init__(self, model_type):
        self.model_type = model_type
        self._interrupt = False


def _status_prefix(state):
    """wgp.py get_generation_status: empty for one prompt of one sample in one window."""
    gen = state["gen"]
    parts = []
    if gen.get("prompts_max", 1) > 1:
        parts.append(f"Prompt {gen.get('prompt_no', 1)}/{gen['prompts_max']}")
    if gen.get("total_windows", 1) > 1:
        parts.append(f"Sliding Window {gen.get('window_no', 1)}/{gen['total_windows']}")
    return ", ".join(parts)


def _merge(status, context):
    """wgp.py merge_status_context."""
    if not status:
        return context
    if not context:
        return status
    if "|" in context:
        head, tail = context.split("|")[:2]
        return f"{status} - {head.strip()} | {tail.strip()}"
    return f"{status} - {context}"


def _passes(model_type, steps, settings):
    """[(pass_no, steps)]: pass_no 0 for one pass, 1 and 2 for LTX-2's two stages (stage 2: 3 steps)."""
    if get_model_family(model_type) == "ltx2":
        return [(1, steps), (2, 3)]
    return [(0, steps)]


def _noise_phase(model_type, step, total, settings):
    """Wan 2.2's guidance phases inside one step count: "Phase 1/2 High Noise" then "Phase 2/2 Low Noise"."""
    phases = int(settings.get("guidance_phases") or 1)
    if get_model_family(model_type) != "wan2_2" or phases < 2:
        return ""
    phase = 1 if step < total // 2 else 2
    return f"Phase {phase}/{phases} {'High' if phase == 1 else 'Low'} Noise"


def _windows(model_type, video_length, settings):
    model_def = models_def[model_type]
    size = int(settings.get("sliding_window_size") or 0)
    if not model_def["sliding_window"] or not size or video_length <= size:
        return 1
    overlap = int(settings.get("sliding_window_overlap") or 5)
    return 1 + math.ceil((video_length - size) / max(1, size - overlap))


def generate_media(task, send_cmd, plugin_data=None, *, state, model_type="", prompt="", resolution="832x480",
                   video_length=81, duration_seconds=0, num_inference_steps=30, seed=-1, force_fps="", image_mode=0,
                   image_start=None, image_end=None, image_refs=None, video_source=None, video_guide=None,
                   video_mask=None, image_guide=None, image_mask=None, audio_guide=None, activated_loras=None,
                   loras_multipliers="", image_prompt_type="", video_prompt_type="", audio_prompt_type="",
                   guidance_scale=5.0, guidance_phases=1, flow_shift=3.0, sample_solver="", negative_prompt="",
                   sliding_window_size=0, sliding_window_overlap=5, mode="", temporal_upsampling="",
                   spatial_upsampling="", film_grain_intensity=0, film_grain_saturation=0.5, postprocess_audio="",
                   postprocess_audio_prompt="", postprocess_audio_neg_prompt="", audio_source=None,
                   repeat_generation=1):
    global wan_model
    gen = state["gen"]
    if str(mode or "").startswith("edit_"):  # wgp.py hands edit tasks to edit_media
        _edit_media(send_cmd, state, mode, video_source, seed, temporal_upsampling, spatial_upsampling,
                    postprocess_audio, postprocess_audio_prompt, postprocess_audio_neg_prompt)
        return True
    model_def = models_def[model_type]
    settings = {"guidance_phases": guidance_phases, "sliding_window_size": sliding_window_size,
                "sliding_window_overlap": sliding_window_overlap}
    if wan_model is None or wan_model.model_type != model_type:
        wan_model = None
        time.sleep(float(os.environ.get("FAKE_WAN2GP_LOAD_SECONDS", LOAD_SECONDS)))
        send_cmd("status", f"Loading model {get_model_name(model_type)}...")
        if weights_status(model_type) != 2:
            raise OSError(HUB_ERROR)  # huggingface_hub's LocalEntryNotFoundError, offline (logged, not streamed)
        wan_model = _FakeModel(model_type)
        send_cmd("status", "Model loaded")
        send_cmd("refresh_models", time.time_ns())
    wan_model._interrupt = False
    seed = int(seed) if int(seed) >= 0 else int(time.time() * 1000) % 2**31
    hooks = _hooks(prompt)
    step_seconds = float(hooks.get("step_seconds", os.environ.get("FAKE_WAN2GP_STEP_SECONDS", "0.03")))
    fail_at_step = int(hooks["fail_at_step"]) if "fail_at_step" in hooks else None
    audio_only = model_def["audio_only"]
    windows = 1 if audio_only or model_def["image_outputs"] else _windows(model_type, int(video_length), settings)
    gen["total_windows"] = windows
    for window in range(1, windows + 1):
        gen["window_no"] = window
        prefix = _status_prefix(state)
        label = "Generating Audio" if audio_only else "Encoding Prompt"
        gen["progress_phase"] = (label, -1)
        send_cmd("progress", [0, _merge(prefix, label)])
        for pass_no, total in _passes(model_type, int(num_inference_steps), settings):
            gen["num_inference_steps"] = total
            for step in range(total + 1):
                if gen.get("abort"):
                    gen["progress_phase"] = ("Aborting", step)
                    send_cmd("progress", [(step, total), _merge(prefix, "Aborting | 0:00"), total])
                    return False
                if step == total:
                    phase = "VAE Decoding"
                else:
                    phase = {0: "Denoising", 1: "Denoising First Phase", 2: "Denoising Second Phase"}[pass_no]
                    extra = _noise_phase(model_type, step, total, settings)
                    phase += f" | {extra}" if extra else ""
                gen["progress_phase"] = (phase, step)
                send_cmd("progress", [(step, total), _merge(prefix, f"{phase} | 0:0{step % 10} / 0:0{total % 10}"),
                                      total])
                if fail_at_step is not None and step == fail_at_step:
                    reason = f"fake failure at denoising step {step}"
                    print(f"Traceback (most recent call last):\n  ...\nRuntimeError: {reason}")
                    send_cmd("error", "The generation of the video has encountered an error, please check your "
                                      f"terminal for more information. '{reason}'")
                    return False
                if step < total:
                    time.sleep(step_seconds)
    gen["total_windows"] = gen["window_no"] = 0
    width, height = (int(v) for v in str(resolution).lower().split("x"))
    # like Wan2GP's metadata_type "metadata": the settings used travel inside the file
    metadata = {"model_type": model_type, "prompt": prompt, "negative_prompt": negative_prompt, "seed": seed,
                "resolution": resolution, "video_length": video_length, "duration_seconds": duration_seconds,
                "num_inference_steps": int(num_inference_steps), "guidance_scale": guidance_scale,
                "flow_shift": flow_shift, "sample_solver": sample_solver, "activated_loras": activated_loras or [],
                "loras_multipliers": loras_multipliers, "image_prompt_type": image_prompt_type,
                "video_prompt_type": video_prompt_type, "audio_prompt_type": audio_prompt_type,
                "image_start": image_start, "image_end": image_end, "image_refs": image_refs,
                "video_source": video_source, "video_guide": video_guide, "video_mask": video_mask,
                "image_guide": image_guide, "audio_guide": audio_guide, "creation_timestamp": int(time.time())}
    if audio_only:
        seconds = float(duration_seconds) if duration_seconds else max(1.0, len(prompt.split()) / 2.5)
        path = _write_audio(prompt, seed, seconds, metadata)
        gen["audio_file_list"].append(str(path))
        gen["audio_file_settings_list"].append(metadata)
        kind = "audio"
    elif model_def["image_outputs"] or int(image_mode or 0) > 0:
        path = _write_image(prompt, seed, width, height, metadata)
        gen["file_list"].append(str(path))
        gen["file_settings_list"].append(metadata)
        kind = "image"
    else:
        fps = float(force_fps) if str(force_fps or "").strip() else float(model_def["fps"])
        path = _write_video(prompt, seed, width, height, int(video_length), fps, metadata,
                            with_audio=model_def["returns_audio"])
        gen["file_list"].append(str(path))
        gen["file_settings_list"].append(metadata)
        kind = "video"
    print(f"New {kind} saved to Path: {path}")
    send_cmd("output")
    return True


def _output_path(prompt, seed, suffix, folder):
    stem = f"{datetime.now():%Y-%m-%d-%Hh%Mm%Ss}_seed{seed}_" + "".join(
        c if c.isalnum() else "_" for c in prompt.strip()[:50]).strip("_")
    path = Path(folder).resolve() / f"{stem}{suffix}"
    n = 2
    while path.exists():
        path = path.with_name(f"{stem}({n}){suffix}")
        n += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _frames(seed, width, height, count):
    import numpy as np

    rng = np.random.default_rng(seed)
    base = rng.integers(40, 220, size=3).astype(np.uint8)
    ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    for i in range(count):
        frame = np.empty((height, width, 3), dtype=np.uint8)
        frame[:] = base
        frame[..., 0] = ((ramp[..., 0] + i * 6) % 256).astype(np.uint8)
        bar = (i * max(1, width // max(count, 1))) % width
        frame[:, bar:bar + 8] = 255
        yield frame


def _write_video(prompt, seed, width, height, frames, fps, metadata, *, with_audio):
    import imageio_ffmpeg

    path = _output_path(prompt, seed, ".mp4", save_path)
    audio = None
    if with_audio:
        audio = path.with_suffix(".wav")
        _write_tone(audio, frames / fps)
    writer = imageio_ffmpeg.write_frames(
        str(path), (width, height), fps=fps, macro_block_size=1, audio_path=str(audio) if audio else None,
        audio_codec="aac" if audio else None, output_params=["-metadata", f"comment={json.dumps(metadata)}"])
    writer.send(None)
    for frame in _frames(seed, width, height, frames):
        writer.send(frame.tobytes())
    writer.close()
    if audio:
        audio.unlink()
    return path


def _write_tone(path, seconds, rate=16000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                                 for i in range(int(seconds * rate))))


def _write_audio(prompt, seed, seconds, metadata):
    """A wav (Wan2GP's audio_stand_alone_output_codec default), the settings in a json beside it."""
    path = _output_path(prompt, seed, ".wav", audio_save_path)
    _write_tone(path, seconds)
    path.with_suffix(".json").write_text(json.dumps(metadata), encoding="utf-8")
    return path


def _write_image(prompt, seed, width, height, metadata):
    from PIL import Image

    path = _output_path(prompt, seed, ".jpg", image_save_path)
    Image.fromarray(next(_frames(seed, width, height, 1))).save(path, quality=90, comment=json.dumps(metadata))
    return path


# ---------------------------------------------------------------- late post-processing (edit tasks)

_VIDEO_EXTENSIONS = (".mp4", ".mkv", ".mov", ".webm", ".avi")
_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
_SPATIAL = {"lanczos": (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0), "flashvsr": (2.0, 4.0)}  # registered postprocessing upsamplers
_TEMPORAL = {"rife": (2.0, 4.0)}
_SOUNDTRACK_METHODS = ("mmaudio",)


def _split_method(value, registry):
    """'lanczos2' -> ('lanczos', 2.0), when a registered method takes that multiplier; else None."""
    match = re.fullmatch(r"([a-z_]+?)(\d+(?:\.\d+)?)", str(value or "").strip())
    if match is None or match[1] not in registry or float(match[2]) not in registry[match[1]]:
        return None
    return match[1], float(match[2])


def _validate_edit(params):
    """wgp.py validate_task's branch for edit tasks (same refusals, same words)."""
    inputs = dict(params)
    inputs.pop("model_type", None)
    inputs.pop("base_model_type", None)
    inputs.setdefault("prompt", "Edit")
    mode = inputs.get("mode", "") or ""
    source = inputs.get("video_source")
    error = ""
    if mode == "edit_postprocessing":
        is_image = str(source or "").lower().endswith(_IMAGE_EXTENSIONS)
        is_video = str(source or "").lower().endswith(_VIDEO_EXTENSIONS)
        temporal = inputs.get("temporal_upsampling", "") or ""
        spatial = inputs.get("spatial_upsampling", "") or ""
        if not source or not os.path.isfile(source):
            error = "Selected video or image file is missing"
        elif not (is_video or is_image):
            error = "Post processing is only available with Videos or Images"
        elif temporal and _split_method(temporal, _TEMPORAL) is None:
            error = f"No temporal upsampler registered for '{temporal}'"
        elif temporal and is_image:
            error = "Temporal Upsampling can not be used with an Image"
        elif spatial.startswith("vae"):
            error = "VAE Spatial Upsampling is only available during generation"
        elif spatial and _split_method(spatial, _SPATIAL) is None:
            error = f"No spatial upsampler registered for '{spatial}'"
        elif not temporal and not spatial and not float(inputs.get("film_grain_intensity") or 0) > 0:
            error = "You must choose at least one Post Processing Method"
    elif mode == "edit_remux":
        method = str(inputs.get("postprocess_audio", "") or "").strip().lower()
        if not source or not os.path.isfile(source):
            error = "Selected video or image file is missing"
        elif not str(source).lower().endswith(_VIDEO_EXTENSIONS):
            error = "Audio remuxing is only available with Videos"
        elif method not in _SOUNDTRACK_METHODS:
            error = "You must choose at least one Remux Method"
    else:
        error = f"Unknown edit mode: {mode}"
    return (None, error) if error else (inputs, "")


def _read_source(path):
    import imageio_ffmpeg
    import numpy as np

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(chunk, dtype=np.uint8).reshape(height, width, 3) for chunk in reader]
    return frames, float(meta["fps"]), width, height, "audio_codec" in meta


def _settings_of(path):
    """The settings a clip carries in its comment tag ({} when none), as wgp.py's get_settings_from_file."""
    import subprocess

    import imageio_ffmpeg

    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path),
                           "-f", "ffmetadata", "-"], capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("comment="):
            try:
                return json.loads(line[len("comment="):].replace("\\=", "=").replace("\\;", ";")
                                  .replace("\\#", "#").replace("\\\\", "\\"))
            except ValueError:
                return {}
    return {}


def _post_path(source, suffix):
    """wgp.py get_available_filename(save_path, source, "_post")."""
    stem = Path(source).stem
    path = Path(save_path).resolve() / f"{stem}_post{suffix}"
    n = 2
    while path.exists():
        path = path.with_name(f"{stem}_post({n}){suffix}")
        n += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_frames(path, frames, fps, metadata, audio_from=None):
    import imageio_ffmpeg

    height, width = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(path), (width, height), fps=fps, macro_block_size=1, audio_path=str(audio_from) if audio_from else None,
        audio_codec="aac" if audio_from else None, output_params=["-metadata", f"comment={json.dumps(metadata)}"])
    writer.send(None)
    for frame in frames:
        writer.send(frame.tobytes())
    writer.close()


def _edit_media(send_cmd, state, mode, video_source, seed, temporal_upsampling, spatial_upsampling,
                postprocess_audio, postprocess_audio_prompt, postprocess_audio_neg_prompt):
    import numpy as np

    gen = state["gen"]
    seed = int(seed) if seed is not None and int(seed) >= 0 else int(time.time() * 1000) % 999999999
    configs = _settings_of(video_source) or {"type": "Post Processing"}
    if str(video_source).lower().endswith(_IMAGE_EXTENSIONS):
        from PIL import Image

        send_cmd("progress", [0, "Upsampling - Starting"])
        method, scale = _split_method(spatial_upsampling, _SPATIAL)
        with Image.open(video_source) as opened:
            picture = opened.convert("RGB")
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.Resampling.LANCZOS)
        path = _post_path(video_source, ".jpg")
        configs["spatial_upsampling"] = spatial_upsampling
        picture.save(path, quality=90, comment=json.dumps(configs))
        print(f"Postprocessed image saved to Path: {path}")
        gen["file_list"].append(str(path))
        gen["file_settings_list"].append(configs)
        send_cmd("output")
        return
    frames, fps, width, height, has_audio = _read_source(video_source)
    sound_source = video_source if has_audio else None
    if mode == "edit_postprocessing":
        send_cmd("progress", [0, "Upsampling - Starting"])
        if temporal_upsampling:
            _, factor = _split_method(temporal_upsampling, _TEMPORAL)
            factor = int(factor)
            smooth = []
            for before, after in zip(frames, frames[1:]):
                smooth.append(before)
                for k in range(1, factor):
                    mix = k / factor
                    smooth.append((before.astype(np.float32) * (1 - mix) + after.astype(np.float32) * mix).astype(np.uint8))
                if gen.get("abort"):
                    return
            smooth.append(frames[-1])
            frames, fps = smooth, fps * factor
            configs["temporal_upsampling"] = temporal_upsampling
        if spatial_upsampling:
            from PIL import Image

            method, scale = _split_method(spatial_upsampling, _SPATIAL)
            size = (int(round(width * scale / 2)) * 2, int(round(height * scale / 2)) * 2)
            upscaled = []
            for index, frame in enumerate(frames):
                if gen.get("abort"):
                    return
                if method == "flashvsr":  # the real FlashVSR reports its steps
                    send_cmd("progress", [(index, len(frames)), f"Upsampling - FlashVSR", len(frames)])
                upscaled.append(np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS)))
            frames = upscaled
            configs["spatial_upsampling"] = spatial_upsampling
        path = _post_path(video_source, ".mp4")
        _write_frames(path, frames, fps, configs, audio_from=sound_source)
        print(f"Postprocessed video saved to Path: {path}")
    else:  # edit_remux with a soundtrack method: MMAudio makes a track from the picture and the prompt
        steps = 6
        for step in range(steps):
            if gen.get("abort"):
                return
            send_cmd("progress", [(step, steps), "Audio - Denoising", steps])
            time.sleep(0.01)
        tone = _post_path(video_source, ".wav")
        _write_tone(tone, len(frames) / fps)
        path = _post_path(video_source, ".mp4")
        configs.update(postprocess_audio=postprocess_audio, postprocess_audio_prompt=postprocess_audio_prompt,
                       postprocess_audio_neg_prompt=postprocess_audio_neg_prompt, postprocess_audio_seed=seed)
        _write_frames(path, frames, fps, configs, audio_from=tone)
        tone.unlink()
        print(f"Remuxed Video saved to Path: {path}")
    gen["file_list"].append(str(path))
    gen["file_settings_list"].append(configs)
    send_cmd("output")
