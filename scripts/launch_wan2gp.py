#!/usr/bin/env python3
"""Companion launcher: start the Director server on this machine and keep it running.

    python scripts/launch_wan2gp.py --simulate            # no GPU: the simulated engine
    python scripts/launch_wan2gp.py --simulate --detach   # start, print the URL, return
    python scripts/launch_wan2gp.py --status | --stop

Real Wan2GP (--wan2gp-dir) is not wired yet; the seam is the server's --engine wangp.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a script beside the package, not the add-on

from blender_movie_director.backend import launcher  # noqa: E402
from blender_movie_director.backend.wan2gp.errors import DirectorError  # noqa: E402

DEFAULT_STATE_DIR = Path.home() / ".cache" / "blender_movie_director"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--simulate", action="store_true", help="use the simulated engine (no GPU needed)")
    parser.add_argument("--wan2gp-dir", type=Path, help="a Wan2GP checkout (real engine; not available yet)")
    parser.add_argument("--python", help="the Python to run the server with (Wan2GP's venv)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address; default loopback only")
    parser.add_argument("--port", type=int, default=7860, help="0 picks any free port")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_STATE_DIR / "outputs")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="log and pid file folder")
    parser.add_argument("--step-seconds", type=float, help="simulated engine: seconds per denoising step")
    parser.add_argument("--detach", action="store_true", help="leave the server running and return")
    parser.add_argument("--stop", action="store_true", help="stop the server this launcher started")
    parser.add_argument("--status", action="store_true", help="say whether a server is running")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pid_file = args.state_dir / "director-server.pid"
    if args.status:
        server = launcher.read_pid_file(pid_file)
        running = server is not None and server.alive()
        print(f"running at {server.url} (pid {server.pid}, log {server.log_file})" if running else "not running")
        return 0 if running else 1
    if args.stop:
        stopped = launcher.stop_stale(pid_file)
        print("stopped" if stopped else "no server was running")
        return 0
    if not args.simulate:
        print("Real Wan2GP is not wired yet: run with --simulate (the wangp engine is its own issue).",
              file=sys.stderr)
        return 2
    try:
        config = launcher.LaunchConfig(
            python=launcher.find_server_python(args.python), state_dir=args.state_dir, output_dir=args.output_dir,
            host=args.host, port=args.port, engine="simulated", step_seconds=args.step_seconds)
        started = time.monotonic()
        server = launcher.start_server(config)
    except DirectorError as error:
        print(f"error: {error.message}\n{error.hint}", file=sys.stderr)
        return 1
    print(f"Director server (simulated) ready at {server.url} in {time.monotonic() - started:.1f} s "
          f"— pid {server.pid}, log {server.log_file}", flush=True)
    if args.detach:
        return 0
    try:
        while server.alive():
            time.sleep(0.5)
        print(f"the server exited; last lines of its log:\n{launcher.log_tail(server.log_file)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping…", file=sys.stderr)
        server.stop()
        return 0


if __name__ == "__main__":
    sys.exit(main())
