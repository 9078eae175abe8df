"""The fake Wan2GP against what the real WanGP 12.60 returned (tests/fake_wan2gp/recording/).

The recorded script (calls.json) is replayed against a copy of the fake without weights or LoRAs,
as the recording machine had none, in a Python of its own (the fake is a Wan2GP checkout: it
imports `wgp` and `shared` at top level). Every catalog entry must come back exactly as recorded,
and every job must produce the recorded events, in the recorded order and shape.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

FAKE = Path(__file__).resolve().parents[1] / "fake_wan2gp"
RECORDING = FAKE / "recording"

# Replays calls.json's script (the same calls, settings and cancel time) and prints what came back,
# summarised the way the recording summarises it.
DRIVER = r'''
import json, sys, threading, time
root, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
from shared import api

def err(e):
    return {"message": e.message, "task_index": e.task_index, "task_id": e.task_id, "stage": e.stage,
            "cancelled": e.cancelled}

def summary(r):
    return {"success": r.success, "files": r.generated_files, "n_errors": len(r.errors), "total": r.total_tasks,
            "ok": r.successful_tasks, "failed": r.failed_tasks, "cancelled": r.cancelled,
            "artifacts": len(r.artifacts)}

def shape(kind, data):
    if isinstance(data, api.GenerationError):
        return err(data)
    if isinstance(data, api.GenerationResult):
        return summary(data)
    if isinstance(data, api.StreamMessage):
        return {"stream": data.stream, "text": data.text}
    return repr(data)

def run(settings, cancel_at=None):
    started = time.time()
    job = session.submit_task(settings)
    if cancel_at is not None:
        threading.Timer(cancel_at, job.cancel).start()
    events = [{"t": round(e.timestamp - started, 3), "kind": e.kind, "type": type(e.data).__name__,
               "data": shape(e.kind, e.data)} for e in job.events.iter(0.05)]
    result = job.result(30)
    return {"events": events, "kinds": [e["kind"] for e in events], "done": job.done,
            "result": {"success": result.success, "cancelled": result.cancelled, "failed": result.failed_tasks,
                       "total": result.total_tasks,
                       "errors": [[e.stage, e.task_index, e.task_id, e.message] for e in result.errors]}}

def call(fn):
    try:
        return {"ok": True, "value": fn()}
    except Exception as exc:
        return {"ok": False, "raised": f"{type(exc).__name__}: {exc}"}

session = api.init(root=root, output_dir=out, cli_args=["--attention", "sdpa", "--profile", "4"],
                   console_output=False)
found = {"catalog": {}}
for record in session.list_model_metadata(include_availability=True):
    model_type = record["model_type"]
    found["catalog"][model_type] = {"metadata": record, "schema": session.get_model_schema(model_type),
                                    "default_settings": session.get_default_settings(model_type),
                                    "loras": session.list_loras(model_type)}
for name, fn in {"get_default_settings_nope": lambda: session.get_default_settings("nope_model"),
                 "get_model_schema_nope": lambda: session.get_model_schema("nope_model"),
                 "list_loras_nope": lambda: session.list_loras("nope_model"),
                 "get_model_availability_t2v": lambda: session.get_model_availability("t2v"),
                 "get_model_availability_nope": lambda: session.get_model_availability("nope_model"),
                 "video_length_bad": lambda: session.submit_task({"model_type": "t2v", "prompt": "x",
                                                                  "video_length": "-1s"})}.items():
    found[name] = call(fn)
T2V = {"model_type": "t2v", "prompt": "a fox", "video_length": 17, "resolution": "832x480", "num_inference_steps": 4}
found["job1_t2v"] = run(T2V)
found["job2_t2v_cancel_0.05s"] = run(T2V, cancel_at=0.05)
first = session.submit_task(T2V)
found["busy_check"] = {"second_submit": call(lambda: session.submit_task(T2V))["raised"],
                       "result_timeout": call(lambda: first.result(timeout=0.01))["raised"]}
first.result(30)
found["job_unknown_model"] = run({"model_type": "nope", "prompt": "x"})
found["job_no_model_type"] = run({"prompt": "x"})
found["video_length_1s"] = run({**T2V, "video_length": "1s"})
time.sleep(0.2)
found["threads_after"] = sorted(t.name for t in threading.enumerate())
print(json.dumps(found))
'''


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("recorded") / "Wan2GP"
    shutil.copytree(FAKE, root, ignore=shutil.ignore_patterns("__pycache__", "ckpts", "loras"))
    done = subprocess.run([sys.executable, "-c", DRIVER, str(root), str(root.parent / "out")],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def calls() -> dict[str, Any]:
    return json.loads((RECORDING / "calls.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    with gzip.open(RECORDING / "catalog.json.gz", "rt", encoding="utf-8") as handle:
        return json.load(handle)["models"]


def test_every_model_comes_back_as_recorded(replayed: dict[str, Any], catalog: dict[str, Any],
                                            calls: dict[str, Any]) -> None:
    found = replayed["catalog"]
    assert list(found) == list(catalog) and len(found) == calls["list_model_metadata"]["value"]["count"] == 217
    for model_type, recorded in catalog.items():
        assert found[model_type] == recorded, f"{model_type} differs from the recording"
    metadata = calls["list_model_metadata"]["value"]
    first = found[next(iter(found))]["metadata"]
    assert sorted(first) == metadata["keys0"] and list(found)[:10] == metadata["ids_first10"]
    assert sorted({m["metadata"]["family"] for m in found.values()}) == metadata["families"]
    assert found["t2v"]["metadata"] == metadata["t2v"]


def test_discovery_calls_answer_as_recorded(replayed: dict[str, Any], calls: dict[str, Any]) -> None:
    t2v = replayed["catalog"]["t2v"]
    defaults = calls["get_default_settings_t2v"]["value"]
    assert sorted(t2v["default_settings"]) == defaults["keys"] and len(defaults["keys"]) == defaults["n_keys"] == 115
    assert {k: t2v["default_settings"][k] for k in defaults["sel"]} == defaults["sel"]
    assert t2v["schema"] == calls["get_model_schema_t2v"]["value"]
    assert t2v["loras"] == calls["list_loras_t2v"]["value"]
    for name in ("get_default_settings_nope", "get_model_schema_nope", "list_loras_nope",
                 "get_model_availability_t2v", "get_model_availability_nope"):
        assert replayed[name] == {k: v for k, v in calls[name].items() if k != "s"}, name
    assert replayed["video_length_bad"]["raised"] == calls["video_length_bad"]["raised"]


@pytest.mark.parametrize("job", ["job1_t2v", "job2_t2v_cancel_0.05s", "job_unknown_model", "job_no_model_type",
                                 "video_length_1s"])
def test_jobs_produce_the_recorded_events(replayed: dict[str, Any], calls: dict[str, Any], job: str) -> None:
    recorded, found = calls[job]["value"], replayed[job]
    # calls.json's "kinds" leaves out stream events; its "events" list has them all
    assert [e["kind"] for e in found["events"]] == [e["kind"] for e in recorded["events"]]
    for mine, theirs in zip(found["events"], recorded["events"], strict=True):
        assert mine["type"] == theirs["type"], (job, mine, theirs)
        if theirs["type"] in ("GenerationError", "GenerationResult", "StreamMessage"):
            assert mine["data"] == theirs["data"], (job, mine, theirs)
        elif theirs["kind"] == "status":
            assert mine["data"] == theirs["data"]
    assert [e["t"] for e in found["events"]] == sorted(e["t"] for e in found["events"])
    result = recorded["result"]
    assert {k: found["result"][k] for k in ("success", "cancelled", "failed", "total")} == {
        k: result[k] for k in ("success", "cancelled", "failed", "total")}
    # the recording cut messages at 200 characters
    assert [[s, i, t, m[:200]] for s, i, t, m in found["result"]["errors"]] == [
        [s, i, t, m[:200]] for s, i, t, m in result["errors"]]
    assert found["done"] is True


def test_loading_takes_its_time_before_the_status_as_recorded(replayed: dict[str, Any],
                                                                calls: dict[str, Any]) -> None:
    # real: nothing between `started` and "Loading model …" for ~0.75 s, then the status and the error
    # together; the fake waits the same way (its LOAD_SECONDS), so the status is not the first thing
    for job in ("job1_t2v", "video_length_1s"):
        events = replayed[job]["events"]
        assert [e["kind"] for e in events][:2] == ["started", "status"]
        loading, failing = events[1]["t"], events[2]["t"]
        assert loading > events[0]["t"] and failing >= loading
    recorded = calls["job1_t2v"]["value"]["events"]
    assert recorded[1]["t"] - recorded[0]["t"] > 0.5  # what the fake's LOAD_SECONDS stands for


def test_a_busy_session_and_a_timeout_raise_as_recorded(replayed: dict[str, Any], calls: dict[str, Any]) -> None:
    assert replayed["busy_check"] == calls["busy_check"]["value"]
    assert replayed["threads_after"] == calls["threads_after"]["value"]


def test_callbacks_say_complete_and_never_get_started(tmp_path: Path) -> None:
    script = r'''
import sys, json
sys.path.insert(0, sys.argv[1])
from shared import api
seen = []
class Callbacks:
    def on_event(self, event): seen.append(event.kind)
    def on_complete(self, result): seen.append("on_complete")
session = api.init(root=sys.argv[1], output_dir=sys.argv[2], console_output=False)
session.submit_task({"model_type": "nope", "prompt": "x"}, callbacks=Callbacks()).result(30)
print(json.dumps(seen))
'''
    root = tmp_path / "Wan2GP"
    shutil.copytree(FAKE, root, ignore=shutil.ignore_patterns("__pycache__", "ckpts", "loras"))
    done = subprocess.run([sys.executable, "-c", script, str(root), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["error", "on_complete", "complete"]
