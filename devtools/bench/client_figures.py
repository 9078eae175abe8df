"""The client's figures, each against bare gradio_client (or the raw part) in the same rounds.

Runs in the client's Python (gradio_client, pydantic; no bpy). Every round does ours and the
reference back to back, alternating which goes first, so that machine noise hits both alike.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from blender_movie_director.common import protocol
from blender_movie_director.common.messages import API_VERSION, GenerateReply

from .report import Figure, condition

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

SHOT = {"model_type": "t2v_1.3B", "prompt": "benchmark shot", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 10, "seed": 5}
TINY = {"model_type": "t2v_1.3B", "prompt": "tiny", "resolution": "320x320", "video_length": 5,
        "num_inference_steps": 1, "seed": 3}
ZERO_PACE = {"step_seconds": 0.0}
POLL = 0.001  # how often both sides look at a job's status while waiting for its first progress


def _ours(url: str, folder: Path):
    from blender_movie_director.client.wan2gp_client import Wan2GPClient

    client = Wan2GPClient(url, output_dir=folder / "ours")
    client.connect()
    return client


def _bare(url: str, folder: Path):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=str(folder / "bare"), analytics_enabled=False,
                  headers={protocol.CLIENT_ID_HEADER: protocol.new_client_id()})


def _bare_request(settings: dict[str, Any], simulation: dict[str, Any] | None = None) -> list[Any]:
    body: dict[str, Any] = {"api_version": API_VERSION, "job_id": uuid.uuid4().hex[:16], "settings": settings}
    if simulation:
        body["simulation"] = simulation
    return [json.dumps(body), *[None] * len(protocol.MEDIA_SLOTS)]


def _warm_pair(rounds: int, ours: Callable[[], float], reference: Callable[[], float],
               *connections: Any) -> tuple[list[float], list[float]]:
    """One unmeasured call each (connections warm), then the interleaved rounds; the connections closed after."""
    try:
        ours(), reference()
        return _pair(rounds, ours, reference)
    finally:
        for connection in connections:
            connection.close()


def _pair(rounds: int, ours: Callable[[], float], reference: Callable[[], float]) -> tuple[list[float], list[float]]:
    a: list[float] = []
    b: list[float] = []
    for n in range(rounds):
        if n % 2:
            b.append(reference())
            a.append(ours())
        else:
            a.append(ours())
            b.append(reference())
    return a, b


def connect(url: str, folder: Path, rounds: int) -> Figure:
    from blender_movie_director.client.wan2gp_client import Wan2GPClient

    def ours() -> float:
        client = Wan2GPClient(url, output_dir=folder / "ours")
        started = time.perf_counter()
        client.connect()
        took = time.perf_counter() - started
        client.close()
        return took * 1000

    def bare() -> float:
        started = time.perf_counter()
        client = _bare(url, folder)
        took = time.perf_counter() - started
        client.close()
        return took * 1000

    ours(), bare()  # warm both (imports, the server's first /config)
    a, b = _pair(rounds, ours, bare)
    return Figure("connect", "connect (Wan2GPClient.connect)", "ms", a, "bare gradio_client.Client()", b,
                  [condition("ratio <= 1.5")],
                  note="ours: health probe, gradio's Client(), endpoint check, server status")


def first_progress(url: str, folder: Path, rounds: int) -> Figure:
    """Submit → the first denoising step seen by the caller (the same server message on both sides)."""
    client, bare = _ours(url, folder), _bare(url, folder)

    def ours() -> float:
        started = time.perf_counter()
        job = client.submit(SHOT)
        while job.status().step is None:
            if job.done():
                raise RuntimeError(f"the job ended before its first step: {job.status()}")
            time.sleep(POLL)
        took = time.perf_counter() - started
        job.result(timeout=120)
        return took * 1000

    def reference() -> float:
        started = time.perf_counter()
        job = bare.submit(*_bare_request(SHOT), api_name=protocol.GENERATE)
        while True:
            units = job.status().progress_data or []
            if units and units[-1].index is not None:
                break
            if job.done():
                raise RuntimeError("the bare job ended before its first step")
            time.sleep(POLL)
        took = time.perf_counter() - started
        job.result(timeout=120)
        return took * 1000

    a, b = _warm_pair(rounds, ours, reference, client, bare)
    return Figure("first_progress", "submit → first progress", "ms", a, "bare gradio submit → first step", b,
                  [condition("ratio <= 1.2")], note=f"first denoising step of {SHOT['num_inference_steps']} "
                  "(server paced 0.05 s a step); both sides poll the job every 1 ms")


def one_job(url: str, folder: Path, rounds: int) -> Figure:
    client, bare = _ours(url, folder), _bare(url, folder)

    def ours() -> float:
        started = time.perf_counter()
        client.generate(SHOT, timeout=120)
        return (time.perf_counter() - started) * 1000

    def reference() -> float:
        started = time.perf_counter()
        bare.predict(*_bare_request(SHOT), api_name=protocol.GENERATE)
        return (time.perf_counter() - started) * 1000

    a, b = _warm_pair(rounds, ours, reference, client, bare)
    return Figure("one_job", "one job end to end (Wan2GPClient)", "ms", a, "bare gradio_client predict", b,
                  [condition("ratio <= 1.02")],
                  note=f"{SHOT['video_length']} frames {SHOT['resolution']}, {SHOT['num_inference_steps']} steps × 0.05 s; "
                       "ours includes validation, the clip moved into its folder and its sidecar")


def server_overhead(url: str, folder: Path, rounds: int) -> tuple[Figure, ...]:
    """A tiny clip at zero pace: what the whole round trip costs over the engine's own time for the job
    (the server's started/finished stamps around the engine's work)."""
    bare = _bare(url, folder)
    walls: list[float] = []
    engine: list[float] = []
    floor: list[float] = []
    try:
        for n in range(rounds + 1):
            started = time.perf_counter()
            _, reply_json = bare.predict(*_bare_request(TINY, ZERO_PACE), api_name=protocol.GENERATE)
            wall = (time.perf_counter() - started) * 1000
            reply = GenerateReply.model_validate_json(reply_json)
            started = time.perf_counter()
            bare.predict(api_name=protocol.SERVER_STATUS)
            trivial = (time.perf_counter() - started) * 1000
            if n:  # the first is a warm-up (the model "loads" once)
                walls.append(wall)
                engine.append(reply.generation_seconds * 1000)
                floor.append(trivial)
    finally:
        bare.close()
    beyond = [w - e - f for w, e, f in zip(walls, engine, floor, strict=True)]
    overhead = Figure("server_overhead", "Director server overhead per job", "ms", walls,
                      "engine's own time", engine, [condition("over < 100")],
                      note=f"tiny clip ({TINY['video_length']} frames {TINY['resolution']}, 1 step, zero pace) through bare "
                           "gradio_client: the round trip (queue, SSE, reply, the clip's download) over the engine's time")
    return (overhead,
            Figure("gradio_floor", "  gradio's own round trip (a trivial queued call)", "ms", floor,
                   note="bare gradio_client predict of /server_status on the same server, same rounds: what any "
                        "queued gradio call costs (gradio_client reads the event stream in 50 ms polls)"),
            Figure("server_beyond_floor", "  server overhead beyond that floor", "ms", beyond,
                   note="round trip − engine's time − the trivial call's round trip, per round"),
            Figure("engine_time", "  engine's time in the server (tiny clip)", "ms", engine,
                   note="started → finished as the server stamps them (all of the simulated engine's work)"))


def engine_alone(folder: Path, rounds: int) -> Figure:
    """The simulated engine's own rendering time for the tiny clip, in the server's Python without the server."""
    from blender_movie_director.launcher.process import find_server_python

    script = Path(__file__).with_name("engine.py")
    done = subprocess.run([str(find_server_python()), str(script), str(folder / "engine"), str(rounds), json.dumps(TINY)],
                          capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Figure("engine_alone", "  simulated engine alone, no server (tiny clip)", "ms", data["ms"],
                  note="SimulatedEngine in the server's Python, zero pace: painting and encoding the mp4 (ffmpeg)")


# ------------------------------------------------------------------------------------------ download


def download(url: str, folder: Path, rounds: int, megabytes: int) -> tuple[Figure, ...]:
    """A padded output of `megabytes` MB, each sample in a fresh client process (its memory growth is a
    figure too), against a raw loopback copy of the same file in that process; beside them, in the same
    sample, the same output through bare gradio_client and a plain HTTP GET of it from gradio's file
    route (what any client of a gradio server gets at best)."""
    samples: list[dict[str, Any]] = []
    for n in range(rounds):
        out = folder / f"download{n}"
        done = subprocess.run([sys.executable, "-m", "devtools.bench.client_figures", "download", url, str(out),
                               str(megabytes), str(n)],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], check=False)
        shutil.rmtree(out, ignore_errors=True)
        if done.returncode != 0:
            raise RuntimeError(f"the download sample failed: {done.stderr[-1500:]}")
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))

    def column(key: str) -> list[float]:
        return [sample[key] for sample in samples]

    raw = column("raw_mb_s")
    return (
        Figure("download", f"download of a {megabytes} MB output", "MB/s", column("ours_mb_s"),
               "raw loopback copy", raw, [condition("ratio >= 0.8")],
               note="engine finished → clip in its folder (Wan2GPClient: its own GET of gradio's file route, "
                    "1 MB reads into the file); raw: the same bytes over a plain loopback socket "
                    "(sendfile → recv_into → file) in the same process"),
        Figure("download_transfer", "  its transfer alone (GET → file)", "MB/s", column("transfer_mb_s"),
               "raw loopback copy", raw, [condition("ratio >= 0.8")],
               note="the client's own GET of gradio's file route into its download folder; the figure above "
                    "adds gradio's reply (server overhead, below) and the move into the clips' folder"),
        Figure("download_bare", "  the same through bare gradio_client", "MB/s", column("bare_mb_s"),
               "raw loopback copy", raw, note="engine finished → predict() returned (its download hashes every byte)"),
        Figure("download_http", "  plain HTTP GET from gradio's file route", "MB/s", column("http_mb_s"),
               "raw loopback copy", raw, note="httpx stream, 1 MB reads, nothing else: what any gradio client "
                                              "gets (uvicorn + h11 on the server, the Director server's 1 MB file "
                                              "chunks; httpx itself reads 64 KB at a time)"),
        Figure("download_memory", "  client memory growth over that download", "MB", column("growth_mb"),
               target=[condition("max < 32")], note="peak RSS of a fresh client process, after minus before the job"),
    )


def _download_sample(url: str, out: Path, megabytes: int, order: int) -> dict[str, Any]:
    import httpx

    from blender_movie_director.client.wan2gp_client import Wan2GPClient

    out.mkdir(parents=True, exist_ok=True)
    padded = {**ZERO_PACE, "pad_output_mb": megabytes}
    client = Wan2GPClient(url, output_dir=out / "clips")
    client.connect()
    client.generate(TINY, simulation=ZERO_PACE, timeout=120)  # everything imported and warm
    got: dict[str, Any] = {}

    def ours() -> None:
        transfers = _timed_downloads()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result = client.generate(TINY, simulation=padded, timeout=600)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = result.video_path.stat().st_size / 1024 / 1024
        got.update(ours_mb_s=size / (result.downloaded_at - result.finished_at), growth_mb=after - before, size=size,
                   path=result.video_path, transfer_mb_s=size / transfers[-1])

    def bare() -> None:
        gradio = _bare(url, out)
        try:
            _, reply_json = gradio.predict(*_bare_request(TINY, padded), api_name=protocol.GENERATE)
            returned = time.time()
        finally:
            gradio.close()
        reply = GenerateReply.model_validate_json(reply_json)
        got["bare_mb_s"] = megabytes / (returned - reply.finished_at)
        shutil.rmtree(out / "bare", ignore_errors=True)

    def http() -> None:
        from gradio_client import Client

        gradio = Client(url, verbose=False, download_files=False, headers={protocol.CLIENT_ID_HEADER: protocol.new_client_id()})
        try:
            file_out, _ = gradio.predict(*_bare_request(TINY, padded), api_name=protocol.GENERATE)
        finally:
            gradio.close()
        link = (file_out.get("video") or file_out) if isinstance(file_out, dict) else file_out
        link = link["url"] if isinstance(link, dict) else link
        started = time.perf_counter()
        with httpx.stream("GET", link, verify=False) as response, (out / "http.bin").open("wb") as handle:
            for chunk in response.iter_raw(1024 * 1024):
                handle.write(chunk)
        took = time.perf_counter() - started
        got["http_mb_s"] = (out / "http.bin").stat().st_size / 1024 / 1024 / took
        (out / "http.bin").unlink()

    steps = [ours, bare, http]
    for step in steps[order % 3:] + steps[:order % 3]:  # each sample starts with another one
        step()
    got["raw_mb_s"] = got["size"] / raw_copy(got["path"], out / "raw-copy.bin")
    client.close()
    return {key: value for key, value in got.items() if key != "path"}


def _timed_downloads() -> list[float]:
    """Seconds of each clip transfer the client makes from now on (its GET → file, nothing around it)."""
    from blender_movie_director.client import connection

    seconds: list[float] = []
    download = connection.download_file

    def timed(*args: Any, **kwargs: Any) -> Path:
        started = time.perf_counter()
        try:
            return download(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    connection.download_file = timed
    return seconds


def raw_copy(source: Path, target: Path) -> float:
    """Seconds to send `source` over a loopback TCP socket (sendfile) into `target`: the floor."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, source.open("rb") as handle:
            conn.sendfile(handle)

    sender = threading.Thread(target=serve, daemon=True)
    started = time.perf_counter()
    sender.start()
    buffer = bytearray(1024 * 1024)
    view = memoryview(buffer)
    with socket.create_connection(("127.0.0.1", port)) as conn, target.open("wb") as out:
        while True:
            got = conn.recv_into(buffer)
            if not got:
                break
            out.write(view[:got])
    took = time.perf_counter() - started
    sender.join()
    listener.close()
    target.unlink()
    return took


# ------------------------------------------------------------------------------------------ throughput


def throughput(folder: Path, rounds: int, jobs: int) -> list[Figure]:
    """Jobs per minute through the add-on's server pool (jobs/dispatch.py) over 1, 2 and 4 simulated
    servers: four servers started once, each round sends a batch to the first 1, 2 and 4 of them (in
    a rotating order), so every ratio is between batches of the same round."""
    from .multi_server import run_batch, simulated_servers

    per: dict[int, list[float]] = {1: [], 2: [], 4: []}
    busy: dict[int, list[float]] = {1: [], 2: [], 4: []}
    with simulated_servers(4, folder / "pool-servers") as started:
        urls = [s.url for s in started]
        for n in range(rounds + 1):
            order = [1, 2, 4][n % 3:] + [1, 2, 4][:n % 3]
            for count in order:
                cpu_before = cpu_seconds([s.pid for s in started])
                seconds, records, _ = run_batch(urls[:count], jobs, folder / f"pool-{n}-{count}")
                cpu = cpu_seconds([s.pid for s in started]) - cpu_before
                failed = [r for r in records if r.result is None]
                if failed:
                    raise RuntimeError(f"{len(failed)} of {jobs} jobs on {count} servers did not finish: "
                                       f"{failed[0].error}")
                if n:  # the first round warms every server (its model "loads" once)
                    per[count].append(len(records) * 60.0 / seconds)
                    busy[count].append(cpu / seconds)
    note = (f"{jobs} jobs a batch ({SHOT['video_length']} frames {SHOT['resolution']}, 10 steps × 0.05 s) through "
            "ServerPool; every server on this machine, so the servers' rendering shares its cores")
    cores = os.cpu_count() or 1
    return [Figure("jobs_per_minute_1", "jobs per minute, 1 server (pool)", "jobs/min", per[1], note=note),
            Figure("jobs_per_minute_2", "jobs per minute, 2 servers", "jobs/min", per[2], "1 server", per[1],
                   [condition("ratio >= 1.8")]),
            Figure("jobs_per_minute_4", "jobs per minute, 4 servers", "jobs/min", per[4], "1 server", per[1],
                   [condition("ratio >= 3.5")]),
            *(Figure(f"cores_busy_{count}", f"  cores busy during the {count}-server batch", "cores", busy[count],
                     note=f"CPU seconds of the servers (ffmpeg included), this process and its threads per second "
                          f"of the batch, of the {cores} cores here: near {cores} the machine, not the pool, "
                          "is the limit") for count in (1, 2, 4))]


def cpu_seconds(pids: list[int]) -> float:
    """CPU time so far of these processes (with their finished children, e.g. ffmpeg) and of this one."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / ticks  # utime stime cutime cstime
    return total


def main(argv: list[str]) -> int:
    if argv[0] == "download":
        url, out, megabytes, order = argv[1], Path(argv[2]), int(argv[3]), int(argv[4])
        print(json.dumps(_download_sample(url, out, megabytes, order)))
        return 0
    raise SystemExit(f"unknown: {argv}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
