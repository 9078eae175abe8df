"""The real Blender program (not the bpy module), from the host: Debian trixie's blender in a chroot.

scripts/real_blender.sh builds the chroot once (cached outside the repository); this module runs it:
an Xvfb display on the host, /proc /sys /dev /tmp/.X11-unix bind-mounted into the chroot for the
run and always unmounted, a throw-away workspace under $ROOT/tmp/bmd-<id>/ holding the files a run
needs and an isolated Blender user folder (HOME and BLENDER_USER_RESOURCES point inside it, so runs
never see each other or the host user's Blender), and `chroot ROOT blender ...` with a timeout.

Plain Python (no bpy, no pytest): used by tests/program and scripts/screenshots.py. Needs root.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "blender_movie_director" / "trixie-blender"
IN_BLENDER = REPO / "devtools" / "in_blender"  # the scripts that run inside real Blender
DIST = REPO / "build" / "extension" / "dist"
BUILDER = REPO / ".venv" / "blender-5.0" / "bin" / "python"  # has Blender's blender_ext.py (make extension)
SCREEN = (1280, 1024)


class Unavailable(RuntimeError):
    """No real Blender here (the reason says how to get one)."""


def root() -> Path:
    return Path(os.environ.get("BMD_REAL_BLENDER_ROOT") or DEFAULT_ROOT)


def check_available() -> Path:
    """The chroot's path, or Unavailable with what is missing."""
    path = root()
    if not (path / ".bmd-ready").is_file():
        raise Unavailable(f"no real Blender chroot at {path}: run `bash scripts/real_blender.sh` (or `make test`)")
    if os.geteuid() != 0:
        raise Unavailable("running Blender in its chroot needs root (chroot and bind mounts)")
    for tool in ("Xvfb", "mount", "umount", "chroot"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not installed: run `bash scripts/real_blender.sh`")
    return path


def blender_version(chroot: Path | None = None) -> str:
    return ((chroot or root()) / ".bmd-ready").read_text().strip()


# ------------------------------------------------------------------------------------------ display


@dataclass
class Display:
    number: int
    process: subprocess.Popen
    size: tuple[int, int]

    @property
    def name(self) -> str:
        return f":{self.number}"

    def screenshot(self, path: Path) -> Path:
        """The whole screen as the user sees it (imagemagick's import)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-display", self.name, "-window", "root", str(path)], check=True,
                       capture_output=True, timeout=30)
        return path


def _free_display() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number between :90 and :199")


@contextlib.contextmanager
def xvfb(size: tuple[int, int] = SCREEN) -> Iterator[Display]:
    """A virtual screen on the host; Blender in the chroot reaches it through /tmp/.X11-unix."""
    with tempfile.TemporaryFile() as errors:
        for _attempt in range(5):  # another run may take the same number between the check and the start
            number = _free_display()
            process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{size[0]}x{size[1]}x24",
                                        "-nolisten", "tcp"],
                                       stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
            socket = Path(f"/tmp/.X11-unix/X{number}")
            deadline = time.monotonic() + 15
            while process.poll() is None and not socket.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            if process.poll() is None and socket.exists():
                break
            _stop(process)
        else:
            errors.seek(0)
            raise RuntimeError("Xvfb did not start: " + errors.read().decode(errors="replace")[-2000:])
        try:
            yield Display(number, process, size)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen, timeout: float = 5.0) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ------------------------------------------------------------------------------------------ mounts


def _is_mountpoint(path: Path) -> bool:
    return subprocess.run(["mountpoint", "-q", str(path)]).returncode == 0


@contextlib.contextmanager
def mounted(chroot: Path) -> Iterator[Path]:
    """/proc /sys /dev (with pts and shm) and the X socket folder inside the chroot, unmounted after
    (also when the body fails). Each run mounts and unmounts its own, so runs may overlap."""
    plan = [("/proc", "proc"), ("/sys", "sys"), ("/dev", "dev"), ("/dev/pts", "dev/pts"), ("/dev/shm", "dev/shm"),
            ("/tmp/.X11-unix", "tmp/.X11-unix")]
    done: list[Path] = []
    try:
        for source, inside in plan:
            if not Path(source).exists():
                continue
            target = chroot / inside
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "--bind", source, str(target)], check=True, capture_output=True)
            done.append(target)
        yield chroot
    finally:
        for target in reversed(done):
            if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(target)], capture_output=True)  # busy: detach


# ------------------------------------------------------------------------------------------ workspace


@dataclass
class Workspace:
    """$ROOT/tmp/bmd-<id>/: files for one session and its Blender user folder, removed on close.

    `host(p)` is the path on the host of the chroot path `p`; `inside(p)` the other way round."""

    chroot: Path
    path: Path  # on the host
    home: Path = field(init=False)
    results: Path = field(init=False)

    def __post_init__(self) -> None:
        self.home = self.path / "home"
        self.results = self.path / "results"
        for folder in (self.home, self.results, self.user_resources):
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def user_resources(self) -> Path:
        return self.path / "blender-user"

    def inside(self, host_path: Path) -> str:
        return "/" + str(Path(host_path).resolve().relative_to(self.chroot.resolve()))

    def host(self, chroot_path: str | Path) -> Path:
        return self.chroot / str(chroot_path).lstrip("/")

    def copy_in(self, source: Path, name: str | None = None) -> str:
        """Copy a host file into the workspace; returns its path inside the chroot."""
        target = self.path / (name or Path(source).name)
        shutil.copy2(source, target)
        return self.inside(target)

    def write(self, name: str, text: str) -> str:
        target = self.path / name
        target.write_text(text)
        return self.inside(target)

    def env(self, display: Display | None) -> dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.inside(self.home), "LANG": "C.UTF-8",
               "BLENDER_USER_RESOURCES": self.inside(self.user_resources),
               "TMPDIR": self.inside(self.path), "PYTHONDONTWRITEBYTECODE": "1"}
        if display is not None:
            env["DISPLAY"] = display.name
        return env


@contextlib.contextmanager
def workspace(chroot: Path, keep: bool = False) -> Iterator[Workspace]:
    path = chroot / "tmp" / f"bmd-{uuid.uuid4().hex[:10]}"
    path.mkdir(parents=True)
    try:
        yield Workspace(chroot, path)
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------------------------------ running


@dataclass
class Run:
    args: list[str]
    returncode: int | None  # None: killed at the timeout
    seconds: float
    output: str  # stdout and stderr together

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def run_blender(ws: Workspace, args: Sequence[str], *, display: Display | None = None, timeout: float = 120.0,
                log: Path | None = None, while_running: Callable[[], None] | None = None) -> Run:
    """`chroot ROOT blender ARGS` with the workspace's clean environment; killed after `timeout`.
    `while_running` is called about five times a second (e.g. to answer the driver's requests)."""
    cmd = ["chroot", str(ws.chroot), "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in ws.env(display).items()),
           "blender", *args]
    log = log or ws.path / f"blender-{time.monotonic_ns()}.log"
    started = time.monotonic()
    with open(log, "w+b") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        returncode: int | None = None
        try:
            while True:
                try:
                    returncode = process.wait(0.2)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if while_running is not None:
                    while_running()
                if time.monotonic() - started > timeout:
                    break
        finally:
            _stop(process)
        out.seek(0)
        output = out.read().decode(errors="replace")
    return Run(list(args), returncode, round(time.monotonic() - started, 2), output)


def install_extension(ws: Workspace, zip_path: Path, timeout: float = 180.0) -> Run:
    """What a user's Install from Disk does: into user_default, enabled, preferences saved."""
    inside = ws.copy_in(zip_path)
    return run_blender(ws, ["--command", "extension", "install-file", "-r", "user_default", "-e", inside],
                       timeout=timeout, log=ws.path / "install.log")


class Requests:
    """The driver inside Blender asks the host for things it cannot do itself (stop the server):
    it writes results/requests/<n>-<action>.json and waits for <n>-<action>.done beside it."""

    def __init__(self, ws: Workspace, handlers: dict[str, Callable[[dict], dict | None]]) -> None:
        self.folder = ws.results / "requests"
        self.folder.mkdir(exist_ok=True)
        self.handlers = handlers
        self.answered: list[dict] = []

    def __call__(self) -> None:
        for request in sorted(self.folder.glob("*.json")):
            done = request.with_suffix(".done")
            if done.exists():
                continue
            body = json.loads(request.read_text() or "{}")
            action = request.stem.split("-", 1)[1]
            try:
                handler = self.handlers[action]
                answer = {"ok": True, **(handler(body) or {})}
            except Exception as error:  # the driver reports it
                answer = {"ok": False, "error": repr(error)}
            self.answered.append({"action": action, **answer})
            tmp = done.with_suffix(".tmp")
            tmp.write_text(json.dumps(answer))
            tmp.rename(done)


def built_zip() -> Path | None:
    """The linux-x64 extension zip in build/extension/dist, if one was built."""
    found = sorted(DIST.glob("blender_movie_director-*-linux_x64.zip"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def zip_is_current(path: Path) -> bool:
    """Newer than everything it is built from (the add-on, its manifest, the pins, the builder)."""
    sources = [*(REPO / "blender_movie_director").rglob("*.py"), *(REPO / "devtools" / "extension").rglob("*.py"),
               REPO / "blender_manifest.toml", REPO / "pyproject.toml", REPO / "requirements" / "extension-wheels.lock"]
    newest = max(p.stat().st_mtime for p in sources if p.exists())
    return path.stat().st_mtime >= newest


def ensure_zip() -> Path:
    """The zip users install, rebuilt (`make extension`'s command) when the sources are newer;
    $BMD_EXTENSION_ZIP names another one (e.g. a release download) to tour instead."""
    if os.environ.get("BMD_EXTENSION_ZIP"):
        return Path(os.environ["BMD_EXTENSION_ZIP"])
    path = built_zip()
    if path is not None and zip_is_current(path):
        return path
    if not BUILDER.exists():
        raise Unavailable(f"no extension zip (or an outdated one) in {DIST} and no {BUILDER} to build it: "
                          "run `make extension`")
    subprocess.run([str(BUILDER), str(REPO / "scripts" / "build_extension.py")], check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL)
    path = built_zip()
    if path is None:
        raise RuntimeError(f"scripts/build_extension.py made no linux-x64 zip in {DIST}")
    return path


# ------------------------------------------------------------------------------------------ the tour


@dataclass
class Tour:
    """What one tour of the add-on in real Blender left behind (copied out of the chroot)."""

    install: Run
    run: Run  # the window session (devtools/in_blender/tour.py)
    restart: Run  # the second start, with the saved .blend (devtools/in_blender/restart.py)
    report: dict
    restart_report: dict
    screenshots: dict[str, Path]
    host_requests: list[dict]
    seconds: float


class Server(Protocol):  # what tour() needs of tests/conftest.py's start_test_server() (a ServerProcess)
    url: str

    def stop(self, timeout: float = ...) -> None: ...


def tour(zip_path: Path, server: Server, screenshots: Path, *, steps: int = 12, timeout: float = 300.0,
         results: Path | None = None) -> Tour:
    """Install the zip into a fresh user folder, run the tour in a window on Xvfb, then start Blender
    again with the same user folder and the saved .blend. `server` is stopped halfway (its stop())."""
    chroot = check_available()
    started = time.monotonic()
    screenshots.mkdir(parents=True, exist_ok=True)
    for old in screenshots.glob("*.png"):  # only this tour's pictures in the folder afterwards
        old.unlink()
    with xvfb() as display, mounted(chroot), workspace(chroot) as ws:
        install = install_extension(ws, zip_path)
        blend = ws.inside(ws.results / "project.blend")
        request = ws.write("tour.json", json.dumps({
            "results": ws.inside(ws.results), "server_url": server.url, "blend": blend, "steps": steps,
            "deadline_seconds": timeout - 20}))

        def shoot(body: dict) -> dict:
            return {"path": str(display.screenshot(screenshots / f"{body['name']}.png"))}

        def press(body: dict) -> dict:
            subprocess.run(["xdotool", "key", body["key"]], env={**os.environ, "DISPLAY": display.name},
                           check=True, capture_output=True, timeout=10)
            return {}

        def stop_server(_body: dict) -> dict:
            server.stop()
            return {}

        answer = Requests(ws, {"screenshot": shoot, "key": press, "stop_server": stop_server})
        ws.copy_in(IN_BLENDER / "driver.py")
        tour_script = ws.copy_in(IN_BLENDER / "tour.py")
        run = run_blender(ws, ["-p", "0", "0", str(display.size[0]), str(display.size[1]), "--python", tour_script,
                               "--", request], display=display, timeout=timeout, while_running=answer,
                          log=ws.results / "tour.log")
        report = _read_json(ws.results / "report.json")

        restart_request = ws.write("restart.json", json.dumps({"results": ws.inside(ws.results),
                                                                 "report": "restart.json"}))
        restart_script = ws.copy_in(IN_BLENDER / "restart.py")
        args = ["-b", blend] if (ws.results / "project.blend").is_file() else ["-b"]
        restart = run_blender(ws, [*args, "--python", restart_script, "--", restart_request], timeout=120,
                              log=ws.results / "restart.log")
        restart_report = _read_json(ws.results / "restart.json")
        if results is not None:  # keep the evidence: reports, logs, the .blend and its clips
            shutil.rmtree(results, ignore_errors=True)
            shutil.copytree(ws.results, results, ignore=shutil.ignore_patterns("requests"))
    shots = {p.stem: p for p in sorted(screenshots.glob("*.png"))}
    return Tour(install, run, restart, report, restart_report, shots, answer.answered,
                round(time.monotonic() - started, 1))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return {"error": f"no report at {path.name}: {error!r}"}
