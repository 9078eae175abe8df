"""JobStatusTracker: a job's gradio updates read as JobStatus (state, phase, step, ETA).

The last status is kept so that a progress bar never goes back and a quiet update says nothing new.
"""

from __future__ import annotations

import time
from typing import Any

from ..common.enums import JobState, Phase
from ..common.messages import JobStatus
from ..common.progress import decode_desc, inference_end, overall_progress


class JobStatusTracker:
    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.last = JobStatus(job_id=job_id, state=JobState.SUBMITTING)
        self.denoising_from: tuple[float, float] | None = None  # (progress, time) of the first step seen

    def from_gradio(self, update: Any) -> JobStatus:
        code = getattr(update.code, "name", str(update.code))
        if code in ("IN_QUEUE", "QUEUE_FULL"):
            return self.update(JobState.QUEUED, phase=Phase.QUEUED, queue_rank=update.rank,
                                queue_size=update.queue_size, eta_seconds=update.eta,
                                message="the server's queue is full" if code == "QUEUE_FULL" else "")
        if code == "CANCELLED":
            return self.update(JobState.CANCELLED)
        if code == "FINISHED" and update.success:  # the server is done: its clip is on the way
            return self.downloading()
        if code in ("PROGRESS", "PROCESSING", "ITERATING"):
            units = update.progress_data or []
            if units:
                return self.from_progress_unit(units[-1])
            if self.last.state is JobState.RUNNING:
                return self.last
            return self.update(JobState.RUNNING, phase=Phase.LOADING_MODEL)
        return self.last  # STARTING, SENDING_DATA, LOG...: nothing new to say

    def downloading(self) -> JobStatus:
        return self.update(JobState.DOWNLOADING, progress=overall_progress(Phase.DOWNLOADING), phase=Phase.DOWNLOADING)

    def from_progress_unit(self, unit: Any) -> JobStatus:
        decoded, stage = decode_desc(unit.desc)  # "inference pass 2/2": the step count started again
        phase = decoded or Phase.INFERENCE
        if phase is Phase.QUEUED:  # waiting for the GPU lock behind a cancelled job
            return self.update(JobState.QUEUED, phase=phase, queue_rank=0, queue_size=1)
        if unit.index is not None and unit.length:
            step, total = int(unit.index), int(unit.length)
            progress = overall_progress(Phase.INFERENCE, step, total, stage)
            return self.update(JobState.RUNNING, phase=Phase.INFERENCE, step=step, total_steps=total,
                                progress=progress, eta_seconds=self.eta(max(progress, self.last.progress)),
                                stage=stage.label if stage else "")
        return self.update(JobState.RUNNING, phase=phase, progress=overall_progress(phase),
                            step=self.last.step, total_steps=self.last.total_steps, stage=self.last.stage)

    def eta(self, progress: float) -> float | None:
        """Seconds until denoising ends, every pass and window of it, at the pace seen so far."""
        now = time.monotonic()
        if self.denoising_from is None:
            self.denoising_from = (progress, now)
            return None
        first, since = self.denoising_from
        if progress <= first:
            return self.last.eta_seconds
        return (now - since) / (progress - first) * max(0.0, inference_end() - progress)

    def update(self, state: JobState, **fields: Any) -> JobStatus:
        fields.setdefault("progress", self.last.progress if state is JobState.RUNNING else 0.0)
        if state is JobState.RUNNING and self.last.state is JobState.RUNNING:
            fields["progress"] = max(fields["progress"], self.last.progress)  # a bar never goes back
        self.last = JobStatus(job_id=self.job_id, state=state, **fields)
        return self.last
