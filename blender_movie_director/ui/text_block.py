"""Long text in a panel: wrapped into lines instead of cut mid-sentence."""

from __future__ import annotations

import textwrap

import bpy


def lines(text: str, width: int) -> list[str]:
    return [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, width) or [""])]


def draw(layout: bpy.types.UILayout, text: str, *, width: int = 48, icon: str = "NONE", alert: bool = False,
         max_lines: int = 12) -> None:
    """Each wrapped line as a label; the first one carries the icon, the others line up under it."""
    col = layout.column(align=True)
    col.alert = alert
    wrapped = lines(text, width)
    if len(wrapped) > max_lines:
        wrapped = [*wrapped[: max_lines - 1], wrapped[max_lines - 1].rstrip() + " …"]
    for i, line in enumerate(wrapped):
        col.label(text=line, icon=icon if i == 0 else ("BLANK1" if icon != "NONE" else "NONE"))
