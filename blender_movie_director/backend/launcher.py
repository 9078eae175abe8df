"""Start, watch and stop a local Director server process (the companion launcher's logic).

The server runs in another Python (Wan2GP's environment, or any with gradio 5.29), as a supervised
child: its output goes to a log file, a pid file lets a later launcher find and stop a stale one,
and start-up fails with the log's tail and what to do when it does not come up.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .wan2gp.errors import DirectorError, ServerUnavailableError
from .wan2gp.transport import probe

SERVER_MODULE = "blender_movie_director.backend.wan2gp.server"
PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the folder that holds blender_movie_director/


class LaunchError(DirectorError):
    kind = "launch_failed"


@dataclass
class LaunchConfig:
    python: Path
    state_dir: Path  # log and pid file
    output_dir: Path
    host: str = "127.0.0.1"
    port: int = 7860  # 0: any free port
    engine: str = "simulated"
    step_seconds: float | None = None
    extra_args: list[str] = field(default_factory=list)

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
        hint="pass --python /path/to/wan2gp/venv/bin/python, set BMD_SERVER_PYTHON, or run `make setup`",
    )


def free_port(host: str = "127.0.0.1") -> int:
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


def start_server(config: LaunchConfig, wait_timeout: float = 90.0) -> ServerProcess:
    """Start the server and return once it answers HTTP (or raise LaunchError with the log tail)."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    config.output_dir.mkdir(parents=True, exist_ok=True)
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
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")])),
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
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
        _wait_until_answering(server, wait_timeout)
    except BaseException:
        server.stop(timeout=3)
        raise
    return server


def _wait_until_answering(server: ServerProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise LaunchError(f"The Director server exited at start-up (code {server.process.returncode})",
                              hint=_diagnose(server.log_file))
        try:
            probe(server.url, timeout=1.0, logged_in=True)  # any HTTP answer means it is up
            return
        except ServerUnavailableError:
            time.sleep(0.2)
    raise LaunchError(f"The Director server did not answer at {server.url} within {timeout:g} s",
                      hint=_diagnose(server.log_file))


def _diagnose(log_file: Path) -> str:
    tail = log_tail(log_file)
    advice = "see the log above"
    if "No module named 'gradio'" in tail:
        advice = "this Python has no gradio: use Wan2GP's own venv (--python) or run `make setup`"
    elif "address already in use" in tail.lower():
        advice = "the port is taken: pass another --port"
    return f"{advice}. Last lines of {log_file}:\n{tail}"


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
