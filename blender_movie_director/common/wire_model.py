"""The base of every pydantic model that crosses a thread or the wire: frozen, strict about fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)
