#!/usr/bin/env python3
"""Companion launcher: start the Director server on this machine and keep it running.

    python scripts/launch_wan2gp.py --wan2gp-dir ~/Wan2GP --profile 4   # real Wan2GP on your GPU
    python scripts/launch_wan2gp.py --simulate            # no GPU: the simulated engine
    python scripts/launch_wan2gp.py --simulate --detach   # start, print the URL, return
    python scripts/launch_wan2gp.py --status | --stop

With --wan2gp-dir the server runs in Wan2GP's own Python (its venv, .venv, the env its installer
recorded in envs.json, a conda env named wan2gp, or --python) with Wan2GP's folder on its path;
Wan2GP's flags (--profile, --attention, --compile, --gpu, --preload, --fp16, --bf16 …) are passed on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a script beside the package, not the add-on

from blender_movie_director.common.addresses import DEFAULT_HOST, DEFAULT_PORT
from blender_movie_director.common.errors import DirectorError
from blender_movie_director.common.wan2gp_install import add_wan2gp_flags, wan2gp_cli_args
from blender_movie_director.launcher import process as launcher

DEFAULT_STATE_DIR = Path.home() / ".cache" / "blender_movie_director"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--simulate", action="store_true", help="use the simulated engine (no GPU needed)")
    parser.add_argument("--wan2gp-dir", type=Path, help="your Wan2GP checkout: the real engine on your GPU")
    parser.add_argument("--python", help="the Python to run the server with (default: Wan2GP's own)")
    parser.add_argument("--host", default=DEFAULT_HOST, help="bind address; default loopback only")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks any free port")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_STATE_DIR / "outputs")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="log and pid file folder")
    parser.add_argument("--step-seconds", type=float, help="simulated engine: seconds per denoising step")
    parser.add_argument("--detach", action="store_true", help="leave the server running and return")
    parser.add_argument("--stop", action="store_true", help="stop the server this launcher started")
    parser.add_argument("--status", action="store_true", help="say whether a server is running")
    parser.add_argument("--timeout", type=float, help="seconds to wait for the server to answer "
                        "(default 90, or 900 with Wan2GP: its first start compiles and loads a lot)")
    parser.add_argument("--quiet", action="store_true", help="do not show the server's start-up lines")
    parser.add_argument("--insecure-no-login", action="store_true",
                        help="allow a non-loopback --host without a login (BMD_SERVER_AUTH); always warned about")
    add_wan2gp_flags(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pid_file = args.state_dir / "director-server.pid"
    if args.status:
        server = launcher.read_pid_file(pid_file)
        if server is None or not server.alive():
            print("not running")
            return 1
        print(f"running at {server.url} (pid {server.pid}, log {server.log_file})")
        return 0
    if args.stop:
        stopped = launcher.stop_stale(pid_file)
        print("stopped" if stopped else "no server was running")
        return 0
    if args.simulate == (args.wan2gp_dir is not None):
        print("say which engine: --wan2gp-dir ~/Wan2GP (your GPU) or --simulate (no GPU)", file=sys.stderr)
        return 2
    show = None if args.quiet else (lambda line: print(f"  | {line}", flush=True))
    try:
        python = launcher.choose_python(args.wan2gp_dir, args.python)
        if args.simulate:
            config = launcher.LaunchConfig(
                python=python, state_dir=args.state_dir, output_dir=args.output_dir, host=args.host,
                port=args.port, engine="simulated", step_seconds=args.step_seconds)
        else:
            install = launcher.inspect_wan2gp_dir(args.wan2gp_dir)
            print(f"{install.label} at {install.root}, Python {python}", flush=True)
            config = launcher.LaunchConfig(
                python=python, state_dir=args.state_dir, output_dir=args.output_dir, host=args.host,
                port=args.port, wan2gp_dir=install.root, wan2gp_args=wan2gp_cli_args(args))
        config.insecure_no_login = args.insecure_no_login
        warning = launcher.exposure_warning(config)
        if warning:  # printed whatever --quiet says
            print(warning, file=sys.stderr, flush=True)
        started = time.monotonic()
        server = launcher.start_server(config, wait_timeout=args.timeout, on_output=show)
    except DirectorError as error:
        print(f"error: {error.message}\n{error.hint}", file=sys.stderr)
        return 1
    print(f"Director server ({config.engine}) ready at {server.url} in {time.monotonic() - started:.1f} s "
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
