"""Start, watch and stop a local Director server process (the companion launcher's logic).

The server runs in another Python (Wan2GP's environment, or any with gradio 5.29), as a supervised
child: its output goes to a log file, a pid file lets a later launcher find and stop a stale one,
and start-up fails with the log's tail and what to do when it does not come up.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..client.transport import probe
from ..common import hints
from ..common.addresses import AUTH_VARIABLE, DEFAULT_HOST, DEFAULT_PORT, exposure
from ..common.errors import LaunchError, ServerUnavailableError
from ..common.wan2gp_install import find_wan2gp_python, inspect_wan2gp_dir

SERVER_MODULE = "blender_movie_director.server.app"
PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the folder that holds blender_movie_director/


@dataclass
class LaunchConfig:
    python: Path
    state_dir: Path  # log and pid file
    output_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT  # 0: any free port
    engine: str = "simulated"
    step_seconds: float | None = None
    extra_args: list[str] = field(default_factory=list)
    wan2gp_dir: Path | None = None  # set: the real engine, with Wan2GP's folder on the server's path
    wan2gp_args: list[str] = field(default_factory=list)  # Wan2GP's own flags (--profile 4 …), passed through
    allow_test_controls: bool = False  # test suites only: requests may inject faults and set the pace
    insecure_no_login: bool = False  # a non-loopback host without a login (warned about, loudly)

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "director-server.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "director-server.log"


@dataclass
class ServerProcess:
    pid: int
    url: str
    log_file: Path
    pid_file: Path
    process: subprocess.Popen | None = None  # set when this launcher started it

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return _pid_is_our_server(self.pid)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`; removes the pid file."""
        _terminate(self.pid, timeout, self.process)
        self.pid_file.unlink(missing_ok=True)


def find_server_python(explicit: str | Path | None = None) -> Path:
    """The Python to run the server with: --python, $BMD_SERVER_PYTHON, the repo's server venv."""
    candidates = [explicit, os.environ.get("BMD_SERVER_PYTHON"),
                  PACKAGE_PARENT / ".venv" / "server" / "bin" / "python"]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise LaunchError(
        "No Python with gradio 5.29 was found to run the Director server",
        hint=hints.hint("server_python"),
    )


SIMULATED_START_SECONDS = 90.0
WAN2GP_START_SECONDS = 900.0  # real Wan2GP imports torch and its models at start: minutes, not seconds


def choose_python(wan2gp_dir: Path | None, explicit: str | Path | None = None) -> Path:
    """The one rule for the server's Python: for real Wan2GP, Wan2GP's own (found in or for its folder);
    for the simulated engine, any Python with gradio 5.29 (the explicit one, $BMD_SERVER_PYTHON, the
    repository's server venv)."""
    explicit = explicit if str(explicit or "") not in ("", ".") else None
    if wan2gp_dir is None:
        return find_server_python(explicit)
    return find_wan2gp_python(inspect_wan2gp_dir(wan2gp_dir).root, explicit)


def start_timeout(config: LaunchConfig) -> float:
    return WAN2GP_START_SECONDS if config.wan2gp_dir is not None else SIMULATED_START_SECONDS


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def start_server(config: LaunchConfig, wait_timeout: float | None = None,
                 on_output: Callable[[str], None] | None = None) -> ServerProcess:
    """Start the server and return once it answers HTTP (or raise LaunchError with the log tail).
    `wait_timeout` defaults to start_timeout(config).

    `on_output` gets each line the server (and Wan2GP, when it starts inside it) logs while we wait.
    """
    wait_timeout = start_timeout(config) if wait_timeout is None else wait_timeout
    exposure_warning(config)  # refuses a non-loopback host without a login before anything starts
    wan2gp = inspect_wan2gp_dir(config.wan2gp_dir) if config.wan2gp_dir is not None else None
    if wan2gp is not None:
        config.engine = "wangp"
    config.state_dir.mkdir(parents=True, exist_ok=True)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    _check_python(config.python, needs_torch=wan2gp is not None, on_output=on_output)
    stop_stale(config.pid_file)
    port = config.port or free_port(config.host)
    if port_in_use(config.host, port):
        raise LaunchError(f"Port {port} on {config.host} is already in use",
                          hint="stop whatever uses it, or pass --port with another number (or 0 for any free one)")
    url = f"http://{'127.0.0.1' if config.host in ('0.0.0.0', '') else config.host}:{port}"
    cmd = [str(config.python), "-u", "-m", SERVER_MODULE, "--engine", config.engine, "--host", config.host,
           "--port", str(port), "--output-dir", str(config.output_dir), *config.extra_args]
    if config.step_seconds is not None:
        cmd += ["--step-seconds", str(config.step_seconds)]
    if config.allow_test_controls:
        cmd += ["--allow-test-controls"]
    if config.insecure_no_login:
        cmd += ["--insecure-no-login"]
    paths = [str(PACKAGE_PARENT)]
    if wan2gp is not None:
        # our package and Wan2GP's folder on the path; Wan2GP's own files are never touched
        paths.append(str(wan2gp.root))
        cmd += ["--wan2gp-dir", str(wan2gp.root), *(f"--wan2gp-arg={arg}" for arg in config.wan2gp_args)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [*paths, os.environ.get("PYTHONPATH")])),
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    log_start = config.log_file.stat().st_size if config.log_file.exists() else 0
    log = config.log_file.open("ab")
    log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
    log.flush()
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                               start_new_session=True)  # Ctrl-C in the terminal is ours to handle
    log.close()
    server = ServerProcess(process.pid, url, config.log_file, config.pid_file, process)
    config.pid_file.write_text(json.dumps({"pid": process.pid, "url": url, "cmd": cmd, "started_at": time.time(),
                                           "log": str(config.log_file)}))
    try:
        _wait_until_answering(server, wait_timeout, _LogFollower(config.log_file, log_start, on_output))
    except BaseException:
        server.stop(timeout=3)
        raise
    return server


def exposure_warning(config: LaunchConfig) -> str | None:
    """A server reachable from other computers needs a login (common/addresses.py exposure): LaunchError
    without one, unless insecure_no_login, which returns the warning to show (callers print it whatever
    their verbosity)."""
    found = exposure(config.host, bool(os.environ.get(AUTH_VARIABLE)), config.insecure_no_login)
    if found is None:
        return None
    refused, message = found
    if refused:
        what, _, todo = message.partition(": ")
        raise LaunchError(what[0].upper() + what[1:], hint=todo)
    return message


def _wait_until_answering(server: ServerProcess, timeout: float, follower: _LogFollower | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if follower is not None:
            follower.poll()
        if server.process is not None and server.process.poll() is not None:
            if follower is not None:
                follower.poll()
            reason = _server_error_line(server.log_file)
            raise LaunchError(f"The Director server exited at start-up (code {server.process.returncode})"
                              + (f": {reason}" if reason else ""), hint=_diagnose(server.log_file))
        try:
            probe(server.url, timeout=1.0, logged_in=True)  # any HTTP answer means it is up
            return
        except ServerUnavailableError:
            time.sleep(0.2)
    raise LaunchError(f"The Director server did not answer at {server.url} within {timeout:g} s",
                      hint=_diagnose(server.log_file))


class _LogFollower:
    """Hands the lines a log file gains to a callback (what the server prints while it starts)."""

    def __init__(self, log_file: Path, offset: int, on_line: Callable[[str], None] | None) -> None:
        self.log_file, self.offset, self.on_line, self._partial = log_file, offset, on_line, b""

    def poll(self) -> None:
        if self.on_line is None:
            return
        try:
            with self.log_file.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return
        self.offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            text = line.decode(errors="replace").rstrip("\r")
            if text and not text.startswith("=== "):
                self.on_line(text)


# log text → what the user should do; the first match wins
_ADVICE = (
    ("No module named 'gradio'", "@no_gradio"),
    ("No module named 'torch'", "this Python has no PyTorch, so it is not Wan2GP's environment: @wan2gp_python"),
    ("Torch not compiled with CUDA", "CUDA is missing: this PyTorch is a CPU build (or no NVIDIA GPU is visible) and "
                                     "Wan2GP has no CPU mode: install the CUDA build of torch as in Wan2GP's "
                                     "docs/INSTALLATION.md, and check `nvidia-smi`"),
    ("NVIDIA driver", "CUDA is missing: no NVIDIA driver was found; install it, then check `nvidia-smi`"),
    ("is too old", "update Wan2GP: `git pull` in its folder, then `pip install -r requirements.txt` in its env"),
    ("refused its command-line flags", "a Wan2GP flag is wrong: compare it with Wan2GP's docs/CLI.md"),
    ("No module named", "Wan2GP's environment lacks a package: `pip install -r requirements.txt` in it"),
    ("CUDA", "CUDA failed: check `nvidia-smi` and that Wan2GP's torch is a CUDA build"),
    ("address already in use", "@port_taken"),
)


def _diagnose(log_file: Path) -> str:
    tail = log_tail(log_file)
    advice = next((text for needle, text in _ADVICE if needle.lower() in tail.lower()), "see the log above")
    if "@" in advice:  # "@key": the hint worded for where the user is (terminal or Blender)
        before, _, key = advice.partition("@")
        advice = before + hints.hint(key)
    return f"{advice}. Last lines of {log_file}:\n{tail}"


def _server_error_line(log_file: Path) -> str:
    """The server's own `error: …` line, if it wrote one before exiting."""
    found = re.findall(r"^error: (.+)$", log_tail(log_file, 200), re.M)
    return found[-1] if found else ""


def _check_python(python: Path, *, needs_torch: bool, on_output: Callable[[str], None] | None) -> None:
    """Fail fast when the server's Python cannot run it; warn about what only Wan2GP needs.

    Reads package metadata without importing the packages, so it takes a fraction of a second.
    """
    script = ("import json, sys, importlib.metadata as m\n"
              "def v(name):\n    try: return m.version(name)\n    except Exception: return None\n"
              "print(json.dumps({'python': sys.version.split()[0], 'gradio': v('gradio'), 'torch': v('torch')}))")
    try:
        done = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=60)
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        raise LaunchError(f"{python} cannot be run as Python",
                          hint=hints.hint("python_missing")) from None
    if not found.get("gradio"):
        raise LaunchError(f"{python} (Python {found.get('python')}) has no gradio",
                          hint=hints.hint("no_gradio"))
    notes = []
    if not str(found["gradio"]).startswith(("5.29", "6.")):
        notes.append(f"warning: {python} has gradio {found['gradio']}; the server is tested on 5.29 and 6.x")
    if needs_torch and not found.get("torch"):
        notes.append(f"warning: {python} has no torch: Wan2GP will not start unless this is its environment")
    for note in notes:
        if on_output is not None:
            on_output(note)


def log_tail(log_file: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def read_pid_file(pid_file: Path) -> ServerProcess | None:
    try:
        data = json.loads(pid_file.read_text())
        return ServerProcess(int(data["pid"]), str(data["url"]), Path(data["log"]), pid_file)
    except (OSError, ValueError, KeyError):
        return None


def stop_stale(pid_file: Path) -> bool:
    """Stop a server a previous launcher left running; forget a pid file whose process is gone."""
    server = read_pid_file(pid_file)
    if server is None:
        pid_file.unlink(missing_ok=True)
        return False
    if server.alive():
        server.stop()
        return True
    pid_file.unlink(missing_ok=True)
    return False


def _pid_is_our_server(pid: int) -> bool:
    """True only for a live process running our server module (a recycled pid is left alone)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        if sys.platform.startswith("linux"):
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return SERVER_MODULE in cmdline


def _terminate(pid: int, timeout: float, process: subprocess.Popen | None) -> None:
    if process is None and not _pid_is_our_server(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return
        elif not _pid_is_our_server(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if process is not None:
        process.wait(5)
