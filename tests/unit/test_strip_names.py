"""Strip names from the prompt, unique without Blender's '.001' renaming eating the prompt."""

from __future__ import annotations

from blender_movie_director.common import strip_names


def test_a_name_is_the_prompt_never_the_model() -> None:
    assert strip_names.clip_name("a lighthouse at dusk") == "a lighthouse at dusk"
    assert strip_names.clip_name("a lighthouse at dusk", take=2) == "a lighthouse at dusk · v3"
    assert strip_names.clip_name("thunder", kind="sound") == "thunder (sound)"


def test_no_dot_survives_so_blender_never_cuts_the_name_at_it() -> None:
    # Blender's sequencer cuts a name at its last "." when it makes it unique ("t2v_1.3B …" → "t2v_1.004")
    name = strip_names.clip_name("Wide shot. A 1.5 second pan over the bay.")
    assert "." not in name and name.startswith("Wide shot· A 1·5 second pan")
    assert "." not in strip_names.unique("v1.2", set())


def test_long_prompts_are_cut_at_a_word_and_fit_blenders_63_bytes() -> None:
    prompt = "Extreme close-up of the old lighthouse keeper's weathered hands turning the brass key"
    name = strip_names.readable(prompt)
    assert name.endswith("…") and len(name) <= strip_names.WORDS + 1 and not name[:-1].endswith(" ")
    wide = "é" * 80
    assert len(strip_names.unique(wide, set()).encode()) <= strip_names.MAX_NAME_BYTES


def test_unique_counts_up_in_words_not_dots() -> None:
    taken = {"a kite", "a kite (2)"}
    assert strip_names.unique("a kite", taken) == "a kite (3)"
    long = "x" * 70
    first = strip_names.unique(long, set())
    second = strip_names.unique(long, {first})
    assert second.endswith(" (2)") and len(second.encode()) <= 63 and second != first
