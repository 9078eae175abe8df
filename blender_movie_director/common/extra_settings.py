"""The rules for `GenerationSettings.extra`: other Wan2GP settings keys, passed through to Wan2GP.

Two checks, shared by the client (before sending) and the server (on every request):
- `check_extra_values`: values are small JSON scalars or short lists of them, never a file path or a
  URL, never a key that names a file for Wan2GP (image_refs, audio_guide …): media travel only as
  uploads in their own slots, so a request cannot make the server read its own disk.
- `check_extra_keys`: each key is one of the model's own settings (the keys of its defaults, as
  /model_defaults returns them), minus our own fields and the keys above.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from .errors import InvalidSettingsError

MAX_EXTRA_KEYS = 64
MAX_KEY_CHARS = 64
MAX_STRING_CHARS = 1_000
MAX_LIST_ITEMS = 64
MAX_EXTRA_JSON_CHARS = 16_000  # all of extra, as JSON
MAX_ABS_NUMBER = 2**53

# Wan2GP settings whose value is a file (or files) Wan2GP opens: refused in extra, whatever the model
FILE_KEYS = frozenset({
    "image_start", "image_end", "image_refs", "image_guide", "image_mask", "video_source", "video_guide",
    "video_guide2", "video_mask", "audio_guide", "audio_guide2", "audio_source", "custom_guide",
    "replace_voice_sample", "replace_voice_sample2", "output_filename",
})
# Wan2GP keys that are not generation settings: where it writes, what it loads, who asked
INTERNAL_KEYS = frozenset({
    "config", "custom_settings", "client_id", "settings_version", "state", "_api", "plugin_data", "mode",
    "model_filename", "lset_name", "loras_choices", "override_profile",
})
FORBIDDEN_KEYS = FILE_KEYS | INTERNAL_KEYS

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILE_SUFFIX = re.compile(
    r"\.(png|jpe?g|webp|bmp|gif|tiff?|mp4|mkv|mov|webm|avi|wav|mp3|flac|ogg|m4a|json|txt|safetensors|"
    r"ckpt|pt|pth|bin|gguf|onnx|py|sh|zip|yaml|yml|toml|cfg|ini)$", re.I)


def looks_like_path(text: str) -> bool:
    """A string Wan2GP could take for a file or a URL: absolute, home-relative, ./ or ../, a drive
    letter, a scheme, a file name with a media or model suffix, or a null byte."""
    value = text.strip()
    return (
        "\0" in value
        or value.startswith(("/", "\\", "~", "./", "../", ".\\", "..\\", "file:"))
        or bool(re.match(r"^[A-Za-z]:[\\/]", value))
        or "://" in value
        or "/../" in value or "\\..\\" in value
        or bool(_FILE_SUFFIX.search(value))
    )


def _check_value(key: str, value: Any, depth: int = 0) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_ABS_NUMBER:
            raise ValueError(f"extra '{key}': {value!s:.30} is out of range")
        return
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_ABS_NUMBER:
            raise ValueError(f"extra '{key}': {value} is not a finite number in range")
        return
    if isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise ValueError(f"extra '{key}' is {len(value)} characters; the limit is {MAX_STRING_CHARS}")
        if looks_like_path(value):
            raise ValueError(f"extra '{key}' looks like a file path or URL ({value[:60]!r}): "
                             "media go as uploads in their own slots (image_start, video_guide …), never as paths")
        return
    if isinstance(value, (list, tuple)):
        if depth >= 2:
            raise ValueError(f"extra '{key}' nests lists too deeply")
        if len(value) > MAX_LIST_ITEMS:
            raise ValueError(f"extra '{key}' has {len(value)} items; the limit is {MAX_LIST_ITEMS}")
        for item in value:
            _check_value(key, item, depth + 1)
        return
    raise ValueError(f"extra '{key}' is a {type(value).__name__}: use a number, text, true/false or a list of them")


def check_extra_values(extra: Mapping[str, Any]) -> None:
    """Raise ValueError (pydantic turns it into a field error on `extra`) for a bad key or value."""
    if len(extra) > MAX_EXTRA_KEYS:
        raise ValueError(f"{len(extra)} extra settings; the limit is {MAX_EXTRA_KEYS}")
    for key, value in extra.items():
        if not isinstance(key, str) or len(key) > MAX_KEY_CHARS or not _KEY.match(key):
            raise ValueError(f"{str(key)[:40]!r} is not a Wan2GP setting name")
        if key in FORBIDDEN_KEYS:
            what = "names a file" if key in FILE_KEYS else "is not a generation setting"
            raise ValueError(f"extra '{key}' {what}: it cannot be set through extra"
                             + (" (send media as uploads in their own slots)" if key in FILE_KEYS else ""))
        _check_value(key, value)
    size = len(json.dumps(dict(extra), default=str))
    if size > MAX_EXTRA_JSON_CHARS:
        raise ValueError(f"extra is {size} characters as JSON; the limit is {MAX_EXTRA_JSON_CHARS}")


def allowed_extra_keys(model_defaults: Mapping[str, Any], own_fields: Collection[str]) -> frozenset[str]:
    """The keys extra may set for a model: its defaults' keys, minus our own fields and forbidden keys."""
    return frozenset(k for k in model_defaults if isinstance(k, str)) - set(own_fields) - FORBIDDEN_KEYS


def check_extra_keys(extra: Mapping[str, Any], allowed: Collection[str], model_type: str) -> None:
    """Raise InvalidSettingsError("extra") for a key that is not one of the model's own settings."""
    unknown = sorted(k for k in extra if k not in allowed)
    if unknown:
        sample = ", ".join(sorted(allowed)[:10])
        raise InvalidSettingsError(
            "extra", f"{', '.join(repr(k[:40]) for k in unknown[:5])} {'is' if len(unknown) == 1 else 'are'} "
            f"not a setting of {model_type}",
            hint=f"use keys of the model's defaults (model_defaults('{model_type}')), e.g. {sample} …" if sample
            else f"{model_type} takes no extra settings here")
