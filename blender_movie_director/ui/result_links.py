"""What a placed clip says about how it was made and what it was made from (bmd_* metadata), and how a
finishing result is placed. Used by sequencer.place_result; no timeline changes here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the add-on's enable imports no pydantic (ui/__init__.py)
    from ..jobs.records import JobRecord

SOURCE_TAG = "bmd_source"  # the name of the strip a result was made for (a finish, a sound for a clip)


def is_sound_only(record: JobRecord) -> bool:
    """A finishing job whose result is placed as its sound alone (Add Sound: the picture is the source's)."""
    from ..common.finishing import FinishOperation

    finish = record.settings.finish
    return finish is not None and finish.operation is FinishOperation.ADD_SOUND


def tag(strip, record: JobRecord) -> None:
    """Link a placed result to what it was made from, and say what it is (bmd_* metadata)."""
    settings = record.settings
    if settings.finish is not None:
        # Regenerate and Variation make the shot again: its own settings, without the finishing
        seed = int(strip.get("bmd_seed", settings.seed))
        strip["bmd_settings"] = settings.model_copy(update={"finish": None, "seed": seed}).model_dump_json()
        strip["bmd_finish"] = settings.finish.operation.value
        strip["bmd_finish_of"] = settings.finish.source_name
        if settings.finish.source_strip:
            strip[SOURCE_TAG] = settings.finish.source_strip
        if settings.finish.source_job_id:
            strip["bmd_source_job_id"] = settings.finish.source_job_id
    if settings.preset is not None:
        strip["bmd_preset"] = settings.preset.name
    if settings.cast:
        strip["bmd_cast"] = ", ".join(settings.cast)
    if settings.activated_loras:
        weights = settings.loras_multipliers or (1.0,) * len(settings.activated_loras)
        strip["bmd_loras"] = " ".join(f"{n}:{w:g}" for n, w in zip(settings.activated_loras, weights, strict=False))


def source_of(placeholder) -> str:
    """The source strip a placeholder was queued for ("" for none)."""
    return str(placeholder.get(SOURCE_TAG, "")) if placeholder is not None else ""
