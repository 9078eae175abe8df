"""Figures, their summaries and targets; the table, the JSON and the comparison with an earlier run.

A figure holds every sample of one quantity and, where it has one, every sample of its reference,
taken in the same rounds (interleaved): its ratio is the median of the per-round ratios, so that a
burst of machine noise hits both sides of a round alike. Targets are printed with a verdict, never
asserted (the machine may be busy: `make test` runs the quick mode for crashes only).
"""

from __future__ import annotations

import json
import math
import operator
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_OPS = {"<": operator.lt, "<=": operator.le, ">=": operator.ge, ">": operator.gt, "==": operator.eq}


@dataclass(frozen=True)
class Condition:
    """One part of a target: `stat op value`, stat one of min, median, max, ratio (to the reference,
    median of the per-round ratios), over (median per-round difference to the reference)."""

    stat: str
    op: str
    value: float

    def holds(self, figure: Figure) -> bool | None:
        got = figure.stat(self.stat)
        return None if got is None or math.isnan(got) else bool(_OPS[self.op](got, self.value))

    def text(self, unit: str) -> str:
        shown = {"ratio": "ratio", "over": "over ref"}.get(self.stat, self.stat)
        suffix = "×" if self.stat == "ratio" else f" {unit}" if unit else ""
        return f"{shown} {self.op} {_num(self.value)}{suffix}"


@dataclass
class Figure:
    key: str
    title: str
    unit: str
    samples: list[float] = field(default_factory=list)
    reference_title: str = ""
    reference: list[float] = field(default_factory=list)
    target: list[Condition] = field(default_factory=list)
    note: str = ""
    status: str = ""  # "": measured; otherwise why not ("not available yet", "skipped: …", "failed: …")
    extra: dict[str, Any] = field(default_factory=dict)  # anything else worth keeping in the JSON
    shown_as: str = ""  # "over" or "ratio" beside the reference; "" follows the target

    def stat(self, name: str) -> float | None:
        if not self.samples:
            return None
        if name == "min":
            return min(self.samples)
        if name == "max":
            return max(self.samples)
        if name == "median":
            return statistics.median(self.samples)
        if name == "ratio":
            return self.ratio()
        if name == "over":
            return self.over()
        raise ValueError(name)

    def _pairs(self) -> list[tuple[float, float]]:
        if len(self.reference) == len(self.samples):
            return list(zip(self.samples, self.reference, strict=True))
        if self.reference:  # not paired: the medians
            return [(statistics.median(self.samples), statistics.median(self.reference))]
        return []

    def ratio(self) -> float | None:
        pairs = [(a, b) for a, b in self._pairs() if b]
        return statistics.median(a / b for a, b in pairs) if pairs else None

    def over(self) -> float | None:
        pairs = self._pairs()
        return statistics.median(a - b for a, b in pairs) if pairs else None

    def verdict(self) -> str:
        if self.status:
            return "—"
        if not self.target:
            return ""
        results = [c.holds(self) for c in self.target]
        if any(r is None for r in results):
            return "?"
        return "ok" if all(results) else "MISSED"


def condition(text: str) -> Condition:
    """'max < 1', 'ratio <= 1.5', 'over <= 1' → Condition."""
    stat, op, value = text.split()
    if op not in _OPS:
        raise ValueError(f"unknown comparison {op!r} in {text!r}")
    return Condition(stat, op, float(value))


def _num(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    magnitude = abs(value)
    if value == int(value) and magnitude < 1e6:
        return f"{int(value)} {unit}".rstrip()
    text = (f"{value:.0f}" if magnitude >= 100 or (value == int(value) and magnitude >= 10) else
            f"{value:.1f}" if magnitude >= 10 else f"{value:.2f}" if magnitude >= 0.1 else f"{value:.3f}")
    return f"{text} {unit}".rstrip()


def _ratio_cell(figure: Figure) -> str:
    if not figure.reference or not figure.samples:
        return ""
    if figure.shown_as == "over" or (not figure.shown_as and any(c.stat == "over" for c in figure.target)):
        over = figure.over()
        return f"{'+' if (over or 0) >= 0 else ''}{_num(over)} {figure.unit}"
    ratio = figure.ratio()
    return f"{ratio:.3f}×" if ratio is not None else ""


def table(figures: Sequence[Figure]) -> str:
    """One line per figure: min / median / max, the reference's median, ratio (or difference), target."""
    head = ("figure", "n", "min", "median", "max", "reference (median)", "ratio / over", "target", "")
    rows = [head]
    for f in figures:
        if f.status:
            rows.append((f.title, "", "", f.status, "", "", "", " and ".join(c.text(f.unit) for c in f.target), "—"))
            continue
        ref = f"{f.reference_title}: {_num(statistics.median(f.reference), f.unit)}" if f.reference else ""
        rows.append((f.title, str(len(f.samples)), _num(f.stat("min"), f.unit), _num(f.stat("median"), f.unit),
                     _num(f.stat("max"), f.unit), ref, _ratio_cell(f), " and ".join(c.text(f.unit) for c in f.target),
                     f.verdict()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) if i in (0, 5, 7) else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  {f.title}: {f.note}" for f in figures if f.note]
    return "\n".join([*lines, "", "notes:", *notes] if notes else lines)


def to_json(figures: Sequence[Figure], meta: dict[str, Any]) -> dict[str, Any]:
    out = []
    for f in figures:
        item = asdict(f)
        item["target"] = [c.text(f.unit) for c in f.target]
        item["summary"] = {"min": f.stat("min"), "median": f.stat("median"), "max": f.stat("max"),
                           "reference_median": statistics.median(f.reference) if f.reference else None,
                           "ratio": f.ratio(), "over": f.over(), "verdict": f.verdict()}
        out.append(item)
    return {"meta": meta, "figures": out}


def write_json(path: Path, figures: Sequence[Figure], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(figures, meta), indent=1, default=str))


def compare(old_path: Path, figures: Sequence[Figure]) -> str:
    """Each figure's median (and ratio) now against an earlier run's JSON."""
    old = {item["key"]: item for item in json.loads(Path(old_path).read_text())["figures"]}
    rows = [("figure", "before", "now", "change", "ratio before", "ratio now")]
    for f in figures:
        was = old.get(f.key)
        if was is None or f.status or was.get("status"):
            rows.append((f.title, "—" if was is None or was.get("status") else _num(was["summary"]["median"], f.unit),
                         f.status or _num(f.stat("median"), f.unit), "", "", ""))
            continue
        before, now = was["summary"]["median"], f.stat("median")
        change = f"{(now / before - 1) * 100:+.0f} %" if before and now is not None else ""
        ratio_before = was["summary"].get("ratio")
        ratio_now = f.ratio()
        rows.append((f.title, _num(before, f.unit), _num(now, f.unit), change,
                     f"{ratio_before:.3f}×" if ratio_before else "", f"{ratio_now:.3f}×" if ratio_now else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                     for r in rows)
