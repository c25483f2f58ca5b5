"""The harness of the benchmarks that drive a server through gunicorn on PostgreSQL: a
throwaway database, aiops's gunicorn (2 gthread workers x 4 threads on 127.0.0.1, the layout
measured best on 2 cores), the CPU of the server's processes and of its database backends,
a keep-alive HTTP client, and client threads released together and measured.

Import it from a script in this folder (`from _gunicorn import ...`): a script's own folder
is first on its path.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]


# --- PostgreSQL ---------------------------------------------------------------------------


def server_url() -> str:
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL server, e.g. postgres://postgres@127.0.0.1")
    return url


def with_db(server_url: str, name: str, scheme: str | None = None) -> str:
    parsed = urlparse(server_url)._replace(path=f"/{name}")
    if scheme:
        parsed = parsed._replace(scheme=scheme)
    return urlunparse(parsed)


def create_db(server_url: str, prefix: str) -> str:
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_db(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- processes ------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, utime + stime in seconds) of a process, None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _cpu_sample(root: int, dbname: str) -> dict[tuple[str, int], float]:
    """CPU seconds by process: ("app", pid) for `root` and its descendants (the gunicorn
    master and workers; MLflow's CLI process above them idles), ("db", pid) for the
    PostgreSQL backends connected to `dbname`."""
    stats = {pid: s for pid in _all_pids() if (s := _stat(pid)) is not None}
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in stats.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    sample = {("app", pid): stats[pid][1] for pid in tree if pid in stats}
    for pid, (_, seconds) in stats.items():
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cmd.startswith("postgres:") and f" {dbname} " in cmd:
            sample[("db", pid)] = seconds
    return sample


class CpuMeter:
    """CPU seconds used by the server and its database backends between `start` and the last
    `sample`, per process: sampled every SAMPLE_SECONDS, so a process that ends in between
    (Django closes its connections after CONN_MAX_AGE) loses at most that much of its time,
    and one that starts counts from zero."""

    SAMPLE_SECONDS = 0.5

    def __init__(self, root: int, dbname: str):
        self.root, self.dbname = root, dbname
        self.first = _cpu_sample(root, dbname)
        self.last = dict(self.first)

    def sample(self) -> None:
        for key, seconds in _cpu_sample(self.root, self.dbname).items():
            self.first.setdefault(key, 0.0)
            self.last[key] = seconds

    def by_process(self, kind: str) -> list[float]:
        return [v - self.first[k] for k, v in self.last.items() if k[0] == kind]

    def used(self, kind: str) -> float:
        return sum(self.by_process(kind))


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy, all CPUs together (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / _TICK  # all but idle and iowait


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not listen on {port} within {timeout:.0f} s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM to the server's process group, SIGKILL after 30 s."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # Workers outlive the master only briefly; make sure nothing of the group is left.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, 0)
        time.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def aiops_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment of aiops's processes: local settings without DEBUG, on `database_url`,
    with artifacts and the Celery queue (filesystem transport) in `workdir`."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "AIOPS_ARTIFACT_ROOT": str(workdir / "artifacts"),
        "CELERY_FILESYSTEM_FOLDER": str(workdir / "celery"),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def start_aiops(env: dict[str, str], log: Path, *options: str) -> tuple[subprocess.Popen, int]:
    """gunicorn on config.wsgi (2 gthread workers x 4 threads, 127.0.0.1, a free port) in its
    own process group, output to `log`; returns it and its port once it listens."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi",
        "--workers=2",
        "--threads=4",
        "--worker-class=gthread",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        *options,
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        wait_for_port(port, proc, log)
    except BaseException:
        stop(proc)
        raise
    return proc, port


def gunicorn_version() -> str:
    import gunicorn

    return gunicorn.__version__


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    """SIGTERM as Ctrl-C: the `finally` blocks stop the servers and drop the databases."""
    signal.signal(signal.SIGTERM, _interrupt)


# --- HTTP client ----------------------------------------------------------------------------


class Client:
    """One keep-alive connection (TCP_NODELAY) and the headers of one side and tenant."""

    def __init__(self, port: int, headers: dict[str, str]):
        self.port = port
        self.headers = {"Content-Type": "application/json", **headers}
        self.conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def connect(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def call(self, method: str, path: str, body: dict | None = None):
        """(status, ms, parsed body or None); status 0 when no answer came."""
        data = json.dumps(body) if body is not None else None
        for attempt in (0, 1):
            if self.conn is None or self.conn.sock is None:
                self.connect()
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=data, headers=self.headers)
                response = self.conn.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.close()
                self.conn = None
                self.reconnects += 1
                if attempt:
                    return 0, (time.perf_counter() - started) * 1000, None
                continue
            except (OSError, http.client.HTTPException):
                self.close()
                self.conn = None
                return 0, (time.perf_counter() - started) * 1000, None
            ms = (time.perf_counter() - started) * 1000
            try:
                parsed = json.loads(content) if content else None
            except ValueError:
                parsed = None
            return response.status, ms, parsed
        return 0, 0.0, None


# --- measuring ------------------------------------------------------------------------------


def pct(values, q):
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else math.nan


# work(i, client, out): client i's whole share; appends to out["ms"] one time per timed unit
# (a request, or a loop of several) and to out["status"] one status per request.
Work = Callable[[int, Client, dict], None]


def measure(clients: list[Client], work: Work, cpu_meter: Callable[[], CpuMeter]) -> dict:
    """One thread per client, released together, each running `work` on its client; the
    server's CPU (a `cpu_meter()` taken before the release) sampled meanwhile. Returns the
    timed units' p50 / p95 ms and throughput per second, the requests, the non-2xx (or
    unanswered) ones and their codes, and CPU ms per request: the server's (app and db), this
    process's (the clients and the meter) and the rest of the machine's; and the busiest server
    process's share of the app's CPU."""
    for client in clients:
        client.connect()
    results = [{"ms": [], "status": []} for _ in clients]
    barrier = threading.Barrier(len(clients) + 1)
    finished = [0.0] * len(clients)

    def target(i):
        # Signals go to the main thread, which waits in short joins and so stops at once.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            barrier.wait()
            work(i, clients[i], results[i])
        finally:
            finished[i] = time.perf_counter()

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    meter = cpu_meter()
    client_cpu, machine_cpu = time.process_time(), machine_busy()
    barrier.wait()
    started = time.perf_counter()
    next_sample = started + meter.SAMPLE_SECONDS
    while alive := [t for t in threads if t.is_alive()]:
        alive[0].join(timeout=max(0.0, min(0.1, next_sample - time.perf_counter())))
        if time.perf_counter() >= next_sample:
            meter.sample()
            next_sample += meter.SAMPLE_SECONDS
    meter.sample()
    client_cpu, machine_cpu = time.process_time() - client_cpu, machine_busy() - machine_cpu
    wall = max(finished) - started
    for client in clients:
        client.close()
    ms = [v for r in results for v in r["ms"]]
    statuses = [s for r in results for s in r["status"]]
    per = max(len(statuses), 1)
    app, db = meter.used("app"), meter.used("db")
    return {
        "n": len(ms),
        "requests": len(statuses),
        "p50": pct(ms, 50),
        "p95": pct(ms, 95),
        "throughput": len(ms) / wall if wall else math.nan,
        "errors": sum(not 200 <= s < 300 for s in statuses),
        "codes": sorted({s for s in statuses if not 200 <= s < 300}),
        "reconnects": sum(c.reconnects for c in clients),
        "app_cpu_ms": app * 1000 / per,
        "db_cpu_ms": db * 1000 / per,
        # A gthread worker serves every request of the keep-alive connections it accepted.
        "busiest_app_share": max(meter.by_process("app"), default=0.0) / app if app else math.nan,
        "client_cpu_ms": client_cpu * 1000 / per,
        # The rest of the machine meanwhile: other processes, the kernel's own work.
        "other_cpu_ms": (machine_cpu - app - db - client_cpu) * 1000 / per,
        "wall": wall,
        "ms": ms,
    }


def merge(parts: list[dict]) -> dict:
    """Several `measure` results of the same request as one: percentiles over all their
    times, throughput over their summed wall time, CPU per request weighted by requests and
    the busiest process's share by app CPU."""
    ms = [v for part in parts for v in part["ms"]]
    requests = sum(part["requests"] for part in parts)
    wall = sum(part["wall"] for part in parts)

    def weighted(key: str, by=lambda part: part["requests"]) -> float:
        total = sum(by(part) for part in parts)
        return sum(part[key] * by(part) for part in parts) / total if total else math.nan

    return {
        "n": len(ms),
        "requests": requests,
        "p50": pct(ms, 50),
        "p95": pct(ms, 95),
        "throughput": len(ms) / wall if wall else math.nan,
        "errors": sum(part["errors"] for part in parts),
        "codes": sorted({code for part in parts for code in part["codes"]}),
        "reconnects": sum(part["reconnects"] for part in parts),
        **{
            key: weighted(key)
            for key in ("app_cpu_ms", "db_cpu_ms", "client_cpu_ms", "other_cpu_ms")
        },
        # A share of the app's CPU: weighted by each part's app CPU, not its requests.
        "busiest_app_share": weighted(
            "busiest_app_share", by=lambda part: part["app_cpu_ms"] * part["requests"]
        ),
        "wall": wall,
        "ms": ms,
    }
