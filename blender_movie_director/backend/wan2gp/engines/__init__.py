"""Generation engines behind one interface (see base.py)."""

from __future__ import annotations

from ..enums import EngineName
from .base import Engine, EngineEvent, EngineJob, EngineOutput


def create_engine(name: EngineName | str, **options: object) -> Engine:
    """The engine named by the server's --engine flag."""
    name = EngineName(name)
    if name is EngineName.SIMULATED:
        from .simulated import SimulatedEngine

        return SimulatedEngine(**options)  # type: ignore[arg-type]
    raise NotImplementedError(
        "the wangp engine (real Wan2GP) is not built yet; start the server with --engine simulated"
    )


__all__ = ["Engine", "EngineEvent", "EngineJob", "EngineOutput", "create_engine"]
