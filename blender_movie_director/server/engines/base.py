"""The engine interface, shaped like Wan2GP's session API: submit → job with events, result, cancel.

An engine job runs its work on its own thread and reports through a queue of events, so the
server can turn them into gradio progress while another thread may cancel it.
"""

from __future__ import annotations

import queue
import random
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...common.enums import EngineName, MediaInput, Phase
from ...common.errors import InvalidSettingsError, JobCancelledError
from ...common.extra_settings import allowed_extra_keys
from ...common.messages import LoraList
from ...common.model_info import ModelInfo
from ...common.progress import Stage
from ...common.settings import GenerationSettings, SimulationOptions


@dataclass(frozen=True)
class EngineOutput:
    path: Path
    seed: int
    frames: int
    fps: float
    width: int
    height: int
    has_audio: bool = False


@dataclass(frozen=True)
class EngineEvent:
    kind: str  # "phase" | "step" | "log" | "done"
    phase: Phase | None = None
    step: int | None = None
    total_steps: int | None = None
    message: str = ""
    stage: Stage | None = None  # which pass / window a step belongs to, when there are several


@dataclass
class EngineJob:
    """One job's thread, its event queue and its cancel flag."""

    job_id: str
    work: Callable[[EngineJob], EngineOutput]
    _events: queue.Queue[EngineEvent] = field(default_factory=queue.Queue)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _done: threading.Event = field(default_factory=threading.Event)
    _output: EngineOutput | None = None
    _error: BaseException | None = None
    step: int = 0
    total_steps: int = 0

    def start(self) -> EngineJob:
        threading.Thread(target=self._run, name=f"engine-job-{self.job_id}", daemon=True).start()
        return self

    def _run(self) -> None:
        try:
            self._output = self.work(self)
        except BaseException as exc:  # handed to whoever waits on result()
            self._error = exc
        finally:
            self._done.set()
            self._events.put(EngineEvent("done"))

    # -- for the work function

    def phase(self, phase: Phase, message: str = "") -> None:
        self.check_cancel()
        self._events.put(EngineEvent("phase", phase=phase, message=message or phase.label))

    def progress_step(self, step: int, total: int, stage: Stage | None = None) -> None:
        self.step, self.total_steps = step, total
        self._events.put(EngineEvent("step", phase=Phase.INFERENCE, step=step, total_steps=total, stage=stage))

    def log(self, message: str) -> None:
        self._events.put(EngineEvent("log", message=message))

    def check_cancel(self) -> None:
        if self._cancel.is_set():
            raise JobCancelledError(self.job_id)

    def sleep(self, seconds: float) -> None:
        """Wait, but wake at once and stop if the job is cancelled."""
        if self._cancel.wait(seconds):
            raise JobCancelledError(self.job_id)

    # -- for the server

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def events(self) -> Iterator[EngineEvent]:
        """Every event until the job ends."""
        while True:
            event = self._events.get()
            if event.kind == "done":
                return
            yield event

    def result(self, timeout: float | None = None) -> EngineOutput:
        if not self._done.wait(timeout):
            raise TimeoutError(f"engine job {self.job_id} still running after {timeout} s")
        if self._error is not None:
            raise self._error
        assert self._output is not None
        return self._output


def concrete_seed(settings: GenerationSettings) -> int:
    """The seed a job runs with: the asked one, or a random one picked here so it can be reported."""
    return settings.seed if settings.seed != -1 else random.randrange(0, 2**31)


class Engine(ABC):
    """What the Director server needs from a generation backend."""

    name: EngineName

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """device, vram_total_gb, vram_free_gb, wan2gp_version."""

    @abstractmethod
    def models(self) -> list[ModelInfo]: ...

    def model(self, model_type: str) -> ModelInfo:
        models = self.models()
        for model in models:
            if model.id == model_type:
                return model
        ids = sorted(m.id for m in models)
        raise InvalidSettingsError(
            "model_type", f"this server has no model '{str(model_type)[:80]}'",
            hint=f"choose one of {', '.join(ids[:12])}{' …' if len(ids) > 12 else ''} (the models list shows them all)")

    def extra_keys(self, model_type: str) -> frozenset[str]:
        """The Wan2GP keys `extra` may set for this model: its defaults' keys, minus our own fields
        and any key that names a file (common/extra_settings.py)."""
        return allowed_extra_keys(self.model_defaults(model_type), GenerationSettings.model_fields)

    @abstractmethod
    def model_defaults(self, model_type: str) -> dict[str, Any]: ...

    @abstractmethod
    def loras(self, model_type: str) -> LoraList: ...

    @abstractmethod
    def submit(
        self,
        job_id: str,
        settings: GenerationSettings,
        media: dict[MediaInput, Path],
        output_dir: Path,
        simulation: SimulationOptions | None,
    ) -> EngineJob:
        """Start the job (settings already resolved for the model) and return at once."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
