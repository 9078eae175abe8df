"""Fake Wan2GP: the `metadata` block of a model definition (real: models/model_metadata.py).

Written for the tests from the shapes Wan2GP 12.60 (8681e9f) publishes through shared/api.py;
same keys, same meaning, far fewer cases.
"""

from __future__ import annotations

_IMAGE_PROMPT_LABELS = {"": "Text/new generation", "S": "Start image", "E": "End image",
                        "V": "Continue from source video", "L": "Continue from last generated video"}


def _letters(choice_def, letters: str) -> bool:
    values = [str(c[1] if isinstance(c, (list, tuple)) else c) for c in (choice_def or {}).get("choices", [])]
    return any(letter in value for value in values for letter in letters)


def main_outputs(model_def: dict) -> list[str]:
    if model_def.get("audio_only"):
        return ["audio"]
    if model_def.get("image_outputs"):
        return ["image"]
    if model_def.get("v2i_switch_supported"):
        return ["image", "video"]
    return ["video"]


def build_metadata(model_type: str, model_def: dict, family: str, family_label: str) -> dict:
    allowed = str(model_def.get("image_prompt_types_allowed", "") or "")
    main = main_outputs(model_def)
    outputs = main + (["audio"] if model_def.get("returns_audio") and "audio" not in main else [])
    image_outputs = bool(model_def.get("image_outputs"))
    control = _letters(model_def.get("guide_preprocessing"), "V")
    inputs = ["text"]
    if model_def.get("any_audio_prompt"):
        inputs.append("audio")
    if "S" in allowed or "E" in allowed:
        inputs.append("image")
    if "V" in allowed or "L" in allowed or (control and not image_outputs):
        inputs.append("video")
    media_inputs = {
        "image": {"start": "S" in allowed, "end": "E" in allowed, "reference": False, "single_reference": False,
                  "multiple_references": False, "background": False, "injected_frames": False,
                  "control": image_outputs and control, "mask": False},
        "video": {"continue": "V" in allowed, "last": "L" in allowed, "control": control and not image_outputs,
                  "mask": False},
        "audio": {"prompt": bool(model_def.get("any_audio_prompt")),
                  "output": bool(model_def.get("audio_only") or model_def.get("returns_audio"))},
    }
    capabilities = {
        "text_to_video": "video" in main, "image_to_video": "video" in main and "S" in allowed,
        "video_to_video": "video" in main and ("V" in allowed or control), "text_to_image": "image" in main,
        "image_to_image": "image" in main and control, "text_to_audio": "audio" in main,
        "audio_to_audio": "audio" in main and bool(model_def.get("any_audio_prompt")),
        "audio_to_video": "video" in main and bool(model_def.get("any_audio_prompt")),
        "audio_output": "audio" in outputs, "inpainting": False, "outpainting": False, "reference_images": False,
        "background_image": False, "injected_frames": False, "control_image": image_outputs and control,
        "control_video": control and not image_outputs, "video_continuation": "V" in allowed,
        "sliding_window": bool(model_def.get("sliding_window")), "lora": not model_def.get("no_lora", False),
    }
    choices = [{"label": _IMAGE_PROMPT_LABELS[""], "value": ""}]
    choices += [{"label": _IMAGE_PROMPT_LABELS.get(letter, letter), "value": letter}
                for letter in allowed if letter != "T"]
    setting_values = {
        "image_prompt_type": {"allowed": allowed, "choices": choices},
        "video_prompt_type": {"guide_preprocessing": model_def.get("guide_preprocessing"), "mask_preprocessing": None,
                              "guide_custom_choices": None, "image_ref_choices": None,
                              "custom_video_selection": None, "forced": ""},
        "audio_prompt_type": {"sources": None, "custom_option": None},
        "model_mode": None,
        "sample_solver": model_def.get("sample_solvers"),
        "prompt_enhancer": None,
    }
    return {"model_type": model_type, "family": family, "family_label": family_label,
            "base_model_type": model_def["architecture"], "finetune": False, "main_output": main,
            "outputs": outputs, "inputs": inputs, "media_inputs": media_inputs, "capabilities": capabilities,
            "setting_values": setting_values}
