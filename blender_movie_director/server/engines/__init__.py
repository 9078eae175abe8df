"""Generation engines behind one interface (see base.py)."""

from __future__ import annotations

from ...common.enums import EngineName
from .base import Engine, EngineEvent, EngineJob, EngineOutput


def create_engine(name: EngineName | str, **options: object) -> Engine:
    """The engine named by the server's --engine flag."""
    name = EngineName(name)
    if name is EngineName.SIMULATED:
        from .simulated import SimulatedEngine

        return SimulatedEngine(**options)  # type: ignore[arg-type]
    from .wangp import WanGPEngine  # imports nothing of Wan2GP until it is asked for

    return WanGPEngine(**options)  # type: ignore[arg-type]


__all__ = ["Engine", "EngineEvent", "EngineJob", "EngineOutput", "create_engine"]
