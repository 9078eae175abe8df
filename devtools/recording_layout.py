"""A stand-in for Blender's UILayout that records what a panel draws (the bpy module has no UI).

Every call is kept as (method, text, icon, operator or property) so a test can assert on what a user
would read — labels, buttons, properties — not merely that something was called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_CONTAINERS = {"row", "column", "box", "split", "grid_flow", "column_flow", "panel", "menu_pie"}


@dataclass
class Drawn:
    method: str
    text: str = ""
    icon: str = ""
    target: str = ""  # the operator's id or the property's name


@dataclass
class RecordingLayout:
    items: list[Drawn] = field(default_factory=list)
    alert: bool = False
    enabled: bool = True
    active: bool = True
    scale_y: float = 1.0
    use_property_split: bool = False

    def __getattr__(self, method: str) -> Any:
        if method.startswith("__"):
            raise AttributeError(method)

        def draw(*args: Any, **kwargs: Any) -> Any:
            target = ""
            if method in ("operator", "operator_menu_enum"):
                target = str(args[0] if args else kwargs.get("operator", ""))
            elif args and len(args) >= 2 and isinstance(args[1], str):  # prop(data, "name"), prop_search…
                target = args[1]
            self.items.append(Drawn(method, str(kwargs.get("text", "")), str(kwargs.get("icon", "")), target))
            if method in _CONTAINERS:
                return _Child(self)
            return _Properties()

        return draw

    def texts(self) -> list[str]:
        return [item.text for item in self.items if item.text]

    def operators(self) -> list[str]:
        return [item.target for item in self.items if item.method == "operator"]

    def props(self) -> list[str]:
        return [item.target for item in self.items if item.method.startswith("prop")]


class _Child(RecordingLayout):
    """A row, column or box: draws into its parent's list, so the test reads one flat list."""

    def __init__(self, parent: RecordingLayout) -> None:
        super().__init__(items=parent.items)


class _Properties:
    """What `layout.operator(...)` returns: its properties are set and kept."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
