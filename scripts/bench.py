#!/usr/bin/env python3
"""`make bench`: every figure of the add-on and its client against real simulated servers on loopback,
in real Blender (the bpy module) and in the real Blender program (where its chroot is set up), each
beside the reference it is compared with, measured in the same run and interleaved with it.

    .venv/client/bin/python scripts/bench.py                    # the full run (a few minutes)
    .venv/client/bin/python scripts/bench.py --quick            # few rounds, small files (CI: crashes only)
    .venv/client/bin/python scripts/bench.py --compare build/bench/old.json

Prints one table (min / median / max, the reference, the ratio and the target with a verdict) and
writes it as JSON (build/bench/latest.json unless --json). Targets are never asserted: the exit
status is non-zero only when a measurement crashed. Figures on a busy machine are noisy; ratios are
taken per round between things measured back to back, which is what to read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from devtools.bench import client_figures as cf  # noqa: E402
from devtools.bench import program, servers  # noqa: E402
from devtools.bench.report import Figure, compare, condition, table, write_json  # noqa: E402

BPY_VENV = os.environ.get("BMD_BENCH_BPY", str(REPO / ".venv" / "blender-5.0"))


class Plan:
    def __init__(self, quick: bool, rounds: int | None) -> None:
        self.quick = quick
        self.rounds = rounds or (2 if quick else 7)
        self.bpy_rounds = 1 if quick else 3
        self.enable_rounds = 2 if quick else 7
        self.program_rounds = 1 if quick else 5
        self.download_mb = 20 if quick else 500
        self.download_rounds = 1 if quick else 3
        self.throughput_jobs = 4 if quick else 8
        self.throughput_rounds = 1 if quick else 3


def _bpy_python() -> Path:
    return Path(BPY_VENV) / "bin" / "python"


def _run_json(cmd: list[str], timeout: float = 600, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})})
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd[:3])} … failed (exit {done.returncode}): {(done.stdout + done.stderr)[-2000:]}")
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------------------ sections


def client_section(plan: Plan, url: str, folder: Path) -> list[Figure]:
    figures = [cf.connect(url, folder, plan.rounds), cf.first_progress(url, folder, plan.rounds),
               cf.one_job(url, folder, plan.rounds)]
    return figures


def server_section(plan: Plan, url: str, folder: Path) -> list[Figure]:
    return [*cf.server_overhead(url, folder, plan.rounds), cf.engine_alone(folder, plan.rounds)]


def download_section(plan: Plan, url: str, folder: Path) -> list[Figure]:
    return list(cf.download(url, folder, plan.download_rounds, plan.download_mb))


def throughput_section(plan: Plan, folder: Path) -> list[Figure]:
    return cf.throughput(folder, plan.throughput_rounds, plan.throughput_jobs)


def bpy_section(plan: Plan, url: str, folder: Path) -> list[Figure]:
    python = _bpy_python()
    if not python.exists():
        return [Figure("tick", "main-thread tick", "ms", status=f"skipped: no {python}")]
    out = folder / "bpy.json"
    subprocess.run([str(python), "-m", "devtools.bench.in_bpy", url, str(plan.bpy_rounds), str(out)], cwd=REPO,
                   check=True, capture_output=True, timeout=900,
                   env={**os.environ, "BLENDER_USER_RESOURCES": tempfile.mkdtemp(prefix="user-", dir=folder),
                        "TMPDIR": str(folder)})
    data = json.loads(out.read_text())
    context = (f"Blender {data['blender']} (bpy module), {data['jobs_per_round']} jobs a round "
               f"({data['steps']} steps × 0.05 s), {data['other_strips']} other strips on the timeline")
    interval = data["poll_interval_ms"]
    return [
        Figure("tick", f"main-thread tick while {data['jobs_per_round']} jobs run (no insert)", "ms", data["plain_ms"],
               target=[condition("max < 1"), condition("median < 0.1")], note=context),
        Figure("tick_insert", "tick that inserts a clip", "ms", data["insert_ms"], "Blender's new_movie (+ new_sound)",
               data["reference_ms"], [condition("over <= 1")],
               note="reference: new_movie (+ new_sound when the clip has sound) of the same file right after"),
        Figure("main_thread_sockets", "socket operations on the main thread (a generate cycle)", "calls",
               [float(n) for n in data["socket_calls"]], target=[condition("max == 0")],
               note="connect/send/recv/lookups on the main thread, from Generate to the last clip placed"
                    + (f"; e.g. {data['socket_examples'][0]}" if data["socket_examples"] else "")),
        Figure("completion_to_strip", "completion on the server → strip in the sequencer", "ms", data["latency_ms"],
               "the poll interval", [interval] * len(data["latency_ms"]), [condition("max < " + str(interval + 50))],
               note=f"poll interval {interval:.0f} ms (the preferences' default), tick driven as Blender's timer drives it"),
        Figure("completion_arrival", "  of which: server finished → clip in the project folder", "ms", data["arrival_ms"],
               note="gradio's reply and the clip's download (gradio_client reads the event stream in 50 ms polls), "
                    "the clip moved into the project folder with its sidecar"),
        Figure("completion_placing", "  of which: clip in the folder → strip (the add-on)", "ms", data["placing_ms"],
               "the poll interval", [interval] * len(data["placing_ms"]), [condition("max < " + str(interval + 50))],
               note="the worker's event, then the next tick (Blender's timer: every poll interval, every 50 ms while a clip "
                    "is about to arrive) inserts it"),
    ]


def enable_section(plan: Plan, folder: Path) -> list[Figure]:
    python = _bpy_python()
    if not python.exists():
        return [Figure("enable", "add-on enable (register) in bpy", "ms", status=f"skipped: no {python}")]
    env_clean = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # a user's Blender writes it

    def one(user: Path, which: str) -> dict:
        done = subprocess.run([str(python), "-m", "devtools.bench.enable", str(user), which], capture_output=True,
                              text=True, timeout=300, cwd=REPO, env=env_clean)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"enable ({which}) failed: {(done.stdout + done.stderr)[-2000:]}")
        return json.loads(lines[-1])

    cold = [one(Path(tempfile.mkdtemp(prefix="cold-", dir=folder)), "ours") for _ in range(max(1, plan.enable_rounds // 3))]
    user = Path(tempfile.mkdtemp(prefix="enable-", dir=folder))
    one(user, "ours"), one(user, "empty")  # the first enable writes the bytecode
    ours: list[dict] = []
    empty: list[dict] = []
    for n in range(plan.enable_rounds):
        pair = [("ours", ours), ("empty", empty)]
        for which, into in (pair if n % 2 == 0 else pair[::-1]):
            into.append(one(user, which))
    heavy = sorted({name for sample in ours for name in sample["heavy"]})
    cpu = statistics.median(s["cpu_ms"] for s in ours)
    return [
        Figure("enable", "add-on enable (register) in bpy", "ms", [s["wall_ms"] for s in ours],
               "an empty extension's enable", [s["wall_ms"] for s in empty], [condition("median < 100")],
               extra={"cpu_ms": [s["cpu_ms"] for s in ours], "modules": ours[0]["modules"], "heavy_imports": heavy},
               shown_as="over",
               note=f"warm (bytecode written by an earlier start); CPU time median {cpu:.0f} ms, "
                    f"{ours[0]['modules']} modules imported; on the enable path: {', '.join(heavy) or 'no pydantic, gradio_client or job manager'}"),
        Figure("enable_cold", "  first enable after install (compiles)", "ms", [s["wall_ms"] for s in cold],
               note="no bytecode yet: Python compiles every module once"),
    ]


def program_section(plan: Plan) -> list[Figure]:
    reason = program.available()
    title = "Blender program start-up with the extension"
    if reason:
        return [Figure("program_startup", title, "s", target=[condition("ratio <= 1.05")], status=f"skipped: {reason}")]
    with_ext, without, twin, version = program.startup(plan.program_rounds)
    return [Figure("program_startup", title, "s", with_ext, "the same without it", without,
                   [condition("ratio <= 1.05")],
                   note=f"{version} in its chroot on Xvfb: process start → first timer (window up), then quit; "
                        "without: installed, then disabled (same preferences)"),
            Figure("program_startup_twin", "  the same with an empty twin (same wheels, empty register)", "s",
                   twin, "the same without it", without,
                   note="what Blender itself spends at start-up on an enabled extension that ships these wheels")]


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, small files (what CI runs)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of the client figures (default 7, quick 2)")
    parser.add_argument("--json", type=Path, default=REPO / "build" / "bench" / "latest.json")
    parser.add_argument("--compare", type=Path, default=None, help="an earlier run's JSON to compare with")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (servers' logs, clips)")
    parser.add_argument("--only", default="", help="comma-separated sections: client,server,download,"
                                                   "throughput,bpy,enable,program")
    args = parser.parse_args(argv)
    plan = Plan(args.quick, args.rounds)
    folder = Path(tempfile.mkdtemp(prefix="bmd-bench-"))
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    figures: list[Figure] = []
    crashed: list[str] = []
    started = time.monotonic()

    def section(name: str, run: Callable[[], list[Figure]]) -> None:
        if only and name not in only:
            return
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            figures.extend(run())
        except Exception as error:
            traceback.print_exc()
            crashed.append(name)
            figures.append(Figure(name, name, "", status=f"failed: {type(error).__name__}: {str(error)[:120]}"))

    with servers.running(1, step_seconds=0.05, folder=folder / "servers") as (server,):
        section("client", lambda: client_section(plan, server.url, folder))
        section("server", lambda: server_section(plan, server.url, folder))
        section("download", lambda: download_section(plan, server.url, folder))
        section("bpy", lambda: bpy_section(plan, server.url, folder))
    section("throughput", lambda: throughput_section(plan, folder))
    section("enable", lambda: enable_section(plan, folder))
    section("program", lambda: program_section(plan))

    if args.keep:
        print(f"bench: the run's files are in {folder}", file=sys.stderr)
    else:
        shutil.rmtree(folder, ignore_errors=True)  # a full run leaves gigabytes of padded clips otherwise
    meta = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": plan.quick, "rounds": plan.rounds,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end",
            "python": platform.python_version(), "seconds": round(time.monotonic() - started, 1)}
    print()
    print(f"Benchmark ({'quick' if plan.quick else 'full'}), {meta['machine']}, {meta['seconds']:.0f} s. "
          "Noisy on a busy machine: read the ratios (per round, measured back to back).")
    print(table(figures))
    write_json(args.json, figures, meta)
    print(f"\nwritten: {args.json}")
    if args.compare:
        print(f"\ncompared with {args.compare}:")
        print(compare(args.compare, figures))
    if crashed:
        print(f"\nbench: crashed in {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
