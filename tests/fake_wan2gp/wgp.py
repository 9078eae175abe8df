"""Fake Wan2GP runtime (the real one is Wan2GP's 13 000-line wgp.py). For tests only.

Mirrors what shared/api.py of WanGP 12.60 (commit 8681e9f777f9f847f74a0bdefd13d5b9a6efe12d) needs
from wgp: model definitions from defaults/*.json, factory settings, weights availability from
ckpts/, LoRAs from loras/, validate_task and generate_media with the same send_cmd traffic
("status" Loading model…, "progress" [(step, total), text, total], "output", "error"). It renders
real small mp4s (imageio-ffmpeg) and jpg stills (Pillow) instead of running a model.

Test hooks a real Wan2GP does not have (it ignores unknown settings keys, so these are harmless):
  settings "fake_fail_at_step": N      → the generation error Wan2GP reports when a step crashes
  settings "fake_step_seconds": s      → pace of the denoising steps
  settings "fake_validation_error": t  → validate_task refuses the task with message t
  env FAKE_WAN2GP_NO_CUDA=1            → import fails as on a CPU-only torch (AssertionError)
  env FAKE_WAN2GP_INIT_SECONDS / FAKE_WAN2GP_STEP_SECONDS / FAKE_WAN2GP_LOAD_SECONDS
"""

import argparse
import copy
import glob
import json
import math
import os
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
ATTACHMENT_KEYS = ["image_start", "image_end", "image_refs", "image_guide", "image_mask", "video_guide", "video_guide2",
                   "video_mask", "video_source", "audio_guide", "audio_guide2", "audio_source",
                   "replace_voice_sample", "replace_voice_sample2", "custom_guide"]
HUB_ERROR = ("An error happened while trying to locate the file on the Hub and we cannot find the requested files in "
             "the local cache. Please check your connection and try again or make sure your Internet connection is on.")


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

# ---------------------------------------------------------------- model families (the real "handlers")

_WAN = {"family": "wan", "fps": 16, "frames_minimum": 5, "frames_steps": 4, "sliding_window": True,
        "v2i_switch_supported": True, "image_prompt_types_allowed": "TVL",
        "defaults": {"sample_solver": "unipc", "flow_shift": 5.0}}
_HANDLERS = {
    "t2v": _WAN,
    "t2v_1.3B": _WAN,
    "i2v": {**_WAN, "image_prompt_types_allowed": "SEVL", "defaults": {"sample_solver": "unipc", "flow_shift": 5.0,
                                                                     "image_prompt_type": "S"}},
    "vace_1.3B": {**_WAN, "frames_minimum": 17, "image_prompt_types_allowed": "",
                  "guide_preprocessing": {"choices": [["Control Video", "V"], ["Pose", "PV"], ["Depth", "DV"]]}},
    "ltx2_19B": {"family": "ltx2", "fps": 24, "frames_minimum": 17, "frames_steps": 8, "sliding_window": True,
                 "image_prompt_types_allowed": "TVSE", "returns_audio": True, "window": 241, "defaults": {}},
    "flux": {"family": "flux", "fps": None, "frames_minimum": None, "frames_steps": None, "image_outputs": True,
             "image_prompt_types_allowed": "", "defaults": {"image_mode": 1, "embedded_guidance_scale": 2.5}},
    "ace_step_v1": {"family": "tts", "fps": None, "frames_minimum": None, "frames_steps": None, "audio_only": True,
                    "any_audio_prompt": True, "image_prompt_types_allowed": "", "defaults": {"duration_seconds": 20}},
    "k5_lite_t2v": {"family": "kandinsky5", "fps": 24, "frames_minimum": 5, "frames_steps": 4,
                    "image_prompt_types_allowed": "TS", "defaults": {}},
}
_FAMILY_LABELS = {"wan": "Wan2.1", "ltx2": "LTX-2", "flux": "Flux 1", "tts": "TTS", "kandinsky5": "Kandinsky 5"}
_LORA_DIRS = {"wan": "loras/wan", "ltx2": "loras/ltx2", "flux": "loras/flux", "kandinsky5": "loras/kandinsky5"}

# models/_settings.json, the keys the fake uses
_BASE_SETTINGS = {
    "client_id": "", "prompt": "A cat walks on the grass, realistic style.", "alt_prompt": "", "image_mode": 0,
    "image_prompt_type": "", "video_prompt_type": "", "audio_prompt_type": "", "negative_prompt": "",
    "resolution": "832x480", "batch_size": 1, "video_length": 81, "duration_seconds": 0, "force_fps": "",
    "num_inference_steps": 30, "seed": -1, "guidance_scale": 5, "flow_shift": 3, "sample_solver": "",
    "repeat_generation": 1, "multi_prompts_gen_type": "PG", "sliding_window_size": 129,
    "sliding_window_overlap": 5, "activated_loras": [], "loras_multipliers": "", "image_start": None,
    "image_end": None, "video_source": None, "video_guide": None, "temporal_upsampling": "",
    "spatial_upsampling": "", "film_grain_intensity": 0, "output_filename": "",
}


def _load_model_defs():
    from models import model_metadata

    defs = {}
    for path in sorted(glob.glob(str(ROOT / "defaults" / "*.json"))):
        model_type = Path(path).stem
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        handler = _HANDLERS[data["model"]["architecture"]]
        model_def = {k: copy.deepcopy(v) for k, v in handler.items() if k not in ("defaults", "family", "window")}
        model_def.update(copy.deepcopy(data["model"]))
        model_def["path"] = path
        model_def["settings"] = {k: v for k, v in data.items() if k != "model"}
        model_def["metadata"] = model_metadata.build_metadata(model_type, model_def, handler["family"],
                                                               _FAMILY_LABELS[handler["family"]])
        defs[model_type] = model_def
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
    model_def = models_def[model_type]
    handler = _HANDLERS[model_def["architecture"]]
    settings = copy.deepcopy(_BASE_SETTINGS)
    settings.update(copy.deepcopy(handler["defaults"]))
    settings.update(copy.deepcopy(model_def["settings"]))
    settings["settings_version"] = settings_version
    return settings


def get_model_handler(model_type):
    return _Handler(models_def[model_type]["architecture"])


class _Handler:
    def __init__(self, architecture):
        self.architecture = architecture

    def update_default_settings(self, base_model_type, model_def, ui_defaults):
        window = _HANDLERS[self.architecture].get("window")
        if window:
            ui_defaults["sliding_window_size"] = window


def get_lora_dir(model_type):
    family = _HANDLERS[models_def[model_type]["architecture"]]["family"]
    return _LORA_DIRS.get(family)


def setup_loras(model_type, transformer, lora_dir, lora_preselected_preset, split_linear_modules_map=None):
    lora_dir = get_lora_dir(model_type)
    found = sorted(glob.glob(os.path.join(lora_dir, "**", "*.safetensors"), recursive=True)) if lora_dir and \
        os.path.isdir(lora_dir) else []
    loras = [os.path.relpath(path, lora_dir).replace("\\", "/") for path in found]
    return loras, [], [], "", "", ""


def weights_status(model_type):
    """0 missing, 1 partial, 2 all files of the model are in ckpts/ (shared/model_dropdowns.py)."""
    names = [url.rsplit("/", 1)[-1] for url in models_def[model_type].get("URLs", [])]
    present = [name for name in names if (ROOT / "ckpts" / name).is_file()]
    if names and len(present) == len(names):
        return 2
    return 1 if present else 0


def release_model():
    global wan_model
    wan_model = None


def _is_edit_task_params(params):
    return str(params.get("mode", "") or "").startswith("edit_")


def validate_task(task, state):
    params = copy.deepcopy(task.get("params", {}))
    model_type = params.get("model_type")
    if not model_type:
        print("  [SKIP] No model_type specified")
        return None, "No model_type specified"
    model_def = get_model_def(model_type)
    allowed = model_def.get("image_prompt_types_allowed", "")  # AttributeError on an unknown model, as in Wan2GP
    if params.get("fake_validation_error"):
        return None, str(params["fake_validation_error"])
    if "T" not in allowed and "S" in allowed and not params.get("image_start") and not params.get("video_source"):
        return None, "You must provide a Start Image"
    merged = get_factory_settings(model_type)
    merged.update(params)
    return merged, ""


# ---------------------------------------------------------------- generation


class _FakeModel:
    def __init__(self, model_type):
        self.model_type = model_type
        self._interrupt = False


def _status(state, context):
    gen = state["gen"]
    return f"Prompt {gen.get('prompt_no', 1)}/{gen.get('prompts_max', 1)} | {context}"


def generate_media(task, send_cmd, plugin_data=None, *, state, model_type, prompt="", resolution="832x480",
                   video_length=81, num_inference_steps=30, seed=-1, force_fps="", image_mode=0,
                   image_start=None, image_end=None, video_source=None, video_guide=None, activated_loras=None,
                   loras_multipliers="", image_prompt_type="", video_prompt_type="", guidance_scale=5.0,
                   flow_shift=3.0, sample_solver="", negative_prompt="", fake_fail_at_step=None,
                   fake_step_seconds=None):
    global wan_model
    gen = state["gen"]
    model_def = models_def[model_type]
    if wan_model is None or wan_model.model_type != model_type:
        send_cmd("status", f"Loading model {get_model_name(model_type)}...")
        wan_model = None
        time.sleep(float(os.environ.get("FAKE_WAN2GP_LOAD_SECONDS", "0.2")))
        if weights_status(model_type) != 2:
            print(f"[fake wgp] HEAD {model_def['URLs'][0]}: no network", file=sys.stderr)
            raise OSError(HUB_ERROR)  # huggingface_hub's LocalEntryNotFoundError, offline
        wan_model = _FakeModel(model_type)
        send_cmd("status", "Model loaded")
        send_cmd("refresh_models", time.time_ns())
    wan_model._interrupt = False
    seed = int(seed) if int(seed) >= 0 else int(time.time() * 1000) % 2**31
    step_seconds = float(fake_step_seconds if fake_step_seconds is not None
                         else os.environ.get("FAKE_WAN2GP_STEP_SECONDS", "0.03"))
    send_cmd("progress", [0, _status(state, "Encoding Prompt")])
    total = int(num_inference_steps)
    for step in range(total + 1):
        if gen.get("abort"):
            send_cmd("progress", [0, _status(state, "Aborting")])
            return False
        phase = "VAE Decoding" if step == total else "Denoising"
        gen["progress_phase"] = (phase, step)
        send_cmd("progress", [(step, total), _status(state, f"{phase} | 0:0{step % 10} / 0:0{total % 10}"), total])
        if fake_fail_at_step is not None and step == int(fake_fail_at_step):
            reason = f"fake failure at denoising step {step}"
            print(f"Traceback (most recent call last):\n  ...\nRuntimeError: {reason}")
            send_cmd("error", "The generation of the video has encountered an error, please check your terminal "
                              f"for more information. '{reason}'")
            return False
        if step < total:
            time.sleep(step_seconds)
    width, height = (int(v) for v in str(resolution).lower().split("x"))
    # like Wan2GP's metadata_type "metadata": the settings used travel inside the file
    metadata = {"model_type": model_type, "prompt": prompt, "negative_prompt": negative_prompt, "seed": seed,
                "resolution": resolution, "video_length": video_length, "num_inference_steps": total,
                "guidance_scale": guidance_scale, "flow_shift": flow_shift, "sample_solver": sample_solver,
                "activated_loras": activated_loras or [], "loras_multipliers": loras_multipliers,
                "image_prompt_type": image_prompt_type, "video_prompt_type": video_prompt_type,
                "image_start": image_start, "video_guide": video_guide, "creation_timestamp": int(time.time())}
    if model_def.get("image_outputs"):
        path = _write_image(prompt, seed, width, height, metadata)
    else:
        fps = float(force_fps) if str(force_fps or "").strip() else float(model_def["fps"])
        path = _write_video(prompt, seed, width, height, int(video_length), fps, metadata,
                            with_audio=bool(model_def.get("returns_audio")))
    gen["file_list"].append(str(path))
    gen["file_settings_list"].append(metadata)
    print(f"New {'image' if model_def.get('image_outputs') else 'video'} saved to Path: {path}")
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


def _write_image(prompt, seed, width, height, metadata):
    from PIL import Image

    path = _output_path(prompt, seed, ".jpg", image_save_path)
    Image.fromarray(next(_frames(seed, width, height, 1))).save(path, quality=90, comment=json.dumps(metadata))
    return path
