"""What the real WanGP 12.60 returned, as recorded in tests/fake_wan2gp/recording/ (for tests)."""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any

RECORDING = Path(__file__).resolve().parent / "fake_wan2gp" / "recording"


@functools.cache
def recorded_models() -> dict[str, dict[str, Any]]:
    """model_type → {"metadata", "schema", "default_settings", "loras"}, in Wan2GP's order."""
    with gzip.open(RECORDING / "catalog.json.gz", "rt", encoding="utf-8") as handle:
        return json.load(handle)["models"]


def recorded_parts(model_type: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(list_model_metadata record, get_model_schema, get_default_settings) of one model."""
    entry = recorded_models()[model_type]
    return entry["metadata"], entry["schema"], entry["default_settings"]
