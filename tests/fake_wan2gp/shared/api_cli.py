"""Fake Wan2GP: how a headless session runs its tasks (real: shared/api_cli.py at 8681e9f).

The worker thread runs wgp.validate_task / wgp.generate_media with stdout and stderr captured as
`stream` events; this thread turns wgp's send_cmd traffic into events, forwards a cancel as
gen["abort"], and always ends with one `completed` event and a closed stream.
"""

from __future__ import annotations

import contextlib
import inspect
import queue
import sys
import threading
from typing import Any

from shared.api import (_GENERATION_LOCK, GenerationError, GenerationResult, SessionJob, StreamMessage, _LineCapture,
                        _pushd)

_WORKER_DONE = object()


def run_tasks(session, job: SessionJob, tasks: list[dict[str, Any]]) -> None:
    summary = {"errors": [], "successful": 0, "failed": 0}
    commands: queue.Queue = queue.Queue()
    gen = session._state["gen"]
    first_file, first_audio = len(gen["file_list"]), len(gen["audio_file_list"])
    runtime = None
    try:
        runtime = session._runtime()
        with _GENERATION_LOCK, _pushd(runtime.root):
            _prepare(session, runtime.module, tasks)
            session._emit(job, "started", {"tasks": len(tasks)})
            worker = threading.Thread(target=_worker, args=(session, runtime.module, tasks, commands, job, summary),
                                      daemon=True, name="wangp-session-worker")
            worker.start()
            while True:
                if job.cancel_requested:  # ask wgp to stop at its next step
                    gen["abort"] = True
                    if runtime.module.wan_model is not None:
                        runtime.module.wan_model._interrupt = True
                try:
                    command, data = commands.get(timeout=0.01)
                except queue.Empty:
                    continue
                if command is _WORKER_DONE:
                    break
                _relay(session, job, command, data)
            worker.join(timeout=0.1)
            if job.cancel_requested and not summary["errors"]:
                summary["errors"].append(GenerationError(message="Generation was cancelled", stage="cancelled"))
                summary["failed"] = max(summary["failed"], 1)
            files = [*gen["file_list"][first_file:], *gen["audio_file_list"][first_audio:]]
            result = GenerationResult(success=not summary["errors"], generated_files=[str(f) for f in files],
                                      errors=list(summary["errors"]), total_tasks=len(tasks),
                                      successful_tasks=summary["successful"], failed_tasks=summary["failed"])
    except BaseException as exc:  # e.g. the runtime itself cannot load
        failure = GenerationError(message=str(exc) or type(exc).__name__, stage="runtime")
        result = GenerationResult(False, [], [failure], len(tasks), summary["successful"],
                                  max(summary["failed"], 1 if tasks else 0))
        session._emit(job, "error", failure)
    session._emit(job, "completed", result)
    job._finish(result)
    job.events.close()
    if runtime is not None:
        gen["queue"], gen["abort"], gen["in_progress"] = [], False, False
        runtime.module.gen_in_progress = False
    with session._job_lock:
        if session._active_job is job:
            session._active_job = None


def _prepare(session, wgp, tasks: list[dict[str, Any]]) -> None:
    if session._output_dir is not None:  # init(output_dir=…) wins over wgp_config.json's save paths
        session._output_dir.mkdir(parents=True, exist_ok=True)
        wgp.save_path = wgp.image_save_path = wgp.audio_save_path = str(session._output_dir)
    wgp.server_config["notification_sound_enabled"] = 0
    gen = session._state["gen"]
    gen.update(queue=tasks, abort=False, progress_status="", progress_phase=("", -1), in_progress=True)
    wgp.gen_in_progress = True


def _worker(session, wgp, tasks, commands: queue.Queue, job: SessionJob, summary: dict[str, Any]) -> None:
    emit_line = lambda name, line: session._emit(job, "stream", StreamMessage(stream=name, text=line))  # noqa: E731
    out = _LineCapture("stdout", emit_line, sys.__stdout__ if session._console_output else None)
    err = _LineCapture("stderr", emit_line, sys.__stderr__ if session._console_output else None)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            _run_each(session, wgp, tasks, commands, job, summary)
    except BaseException as exc:  # outside any one task (an unknown model_type lands here)
        failure = GenerationError(message=str(exc) or type(exc).__name__, stage="runtime")
        summary["errors"].append(failure)
        commands.put(("error", failure))
    finally:
        out.flush()
        err.flush()
        commands.put((_WORKER_DONE, None))


def _run_each(session, wgp, tasks, commands: queue.Queue, job: SessionJob, summary: dict[str, Any]) -> None:
    accepted = set(inspect.signature(wgp.generate_media).parameters)
    gen = session._state["gen"]
    for index, task in enumerate(tasks, start=1):
        if job.cancel_requested:
            break
        gen["prompt_no"], gen["prompts_max"] = index, len(tasks)
        task_id = task.get("id")
        errors: list[GenerationError] = []

        def send_cmd(command: str, data: Any = None) -> None:
            if command == "error":
                errors.append(GenerationError(message=str(data), task_index=index, task_id=task_id,
                                              stage="generation"))
                commands.put(("error", errors[-1]))
            else:
                commands.put((command, data))

        settings, problem = wgp.validate_task(task, session._state)
        if settings is None:
            failure = GenerationError(message=problem or f"Task {index} failed validation", task_index=index,
                                      task_id=task_id, stage="validation")
            summary["errors"].append(failure)
            summary["failed"] += 1
            commands.put(("error", failure))
            continue
        params = {k: v for k, v in {**settings, "state": session._state}.items() if k in accepted}
        try:
            ok = wgp.generate_media(task, send_cmd, plugin_data=task.get("plugin_data", {}), **params)
        except BaseException as exc:
            if not errors:
                errors.append(GenerationError(message=str(exc) or type(exc).__name__, task_index=index,
                                              task_id=task_id, stage="generation"))
                commands.put(("error", errors[-1]))
            ok = False
        if gen.get("abort") or job.cancel_requested:
            errors.append(GenerationError(message="Generation was cancelled", task_index=index, task_id=task_id,
                                          stage="cancelled"))
            commands.put(("error", errors[-1]))
            summary["errors"].extend(errors)
            summary["failed"] += 1
            break
        if errors or not ok:
            if not errors:
                errors.append(GenerationError(message=f"Task {index} did not complete successfully",
                                              task_index=index, task_id=task_id, stage="generation"))
                commands.put(("error", errors[-1]))
            summary["errors"].extend(errors)
            summary["failed"] += 1
            continue
        summary["successful"] += 1


def _relay(session, job: SessionJob, command: str, data: Any) -> None:
    if command == "progress":
        session._emit(job, "progress", session._progress_update(data))
    elif command in ("status", "info"):
        session._emit(job, command, str(data or ""))
    elif command in ("output", "refresh_models", "error"):
        session._emit(job, command, data)
    elif command == "preview":
        pass  # the fake renders no latents
