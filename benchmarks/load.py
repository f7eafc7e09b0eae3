#!/usr/bin/env python
"""A page under concurrent load beside its floor, in the same run: gunicorn on PostgreSQL, loopback only.

    .venv/bin/python benchmarks/load.py --database-url postgres://postgres@127.0.0.1:5432/bench_perf \
        --path '/insights/?start=' --path /insights/ --seconds 15 --connections 16

1. migrates the database and, when it holds fewer than `--incidents` incidents, adds generated ones (the data of
   `benchmarks/bench_insights.py`: 20 timeline entries and 4 action items each, 5% restricted), then ANALYZE;
2. signs in a team member who is no admin (`load-member@example.com`, every figure goes through the permission
   scopes) and starts gunicorn (`config.wsgi`, gthread, `--workers` x `--threads`, settings
   `benchmarks.load_settings`: the project's, plus the floor view);
3. for each `--path`: fetches it once, stores the body as the floor page (the same stack, session and user,
   returning those bytes), then runs `--connections` keep-alive clients against the page for `--seconds`
   (signed in as `--users` different members of one team, round robin), and the same against the floor;
4. prints one row per page and per floor: requests per second, p50 and p99 latency, errors (anything but 200,
   and failed connections; must be 0). `--json FILE` appends the rows to FILE.

The machine's load average is printed with the figures: the rows of one run compare, rows of two runs on a
shared machine less so. Nothing but the given database and gunicorn (stopped at the end) is touched.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "load"
PY = sys.executable


def _sh(*args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(list(args), check=False, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(
            f"{args[:4]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        )
    return proc.stdout


def _ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    if not name.isidentifier() or name == "test":
        raise SystemExit(f"database name {name!r}: letters, digits and underscores only, and not 'test'")
    base = url.rsplit("/", 1)[0] + "/postgres"
    if "1" not in _sh("psql", base, "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"):  # noqa: S608
        _sh("psql", base, "-c", f"CREATE DATABASE {name}")


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=database_url,
        HINDSIGHT_VAR_DIR=str(VAR),
        DJANGO_SETTINGS_MODULE="benchmarks.load_settings",
        BENCH_FLOOR_DIR=str(VAR / "floor"),
        API_THROTTLE_RATE="1000000/min",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        DEBUG="false",
    )
    return env


SETUP = r"""
import json, sys
from django.db import connection
from django.test import Client
from accounts.models import Membership, Team, User
from incidents.demo.history import history_generate
from incidents.models import Incident
wanted = int(sys.argv[-1])
have = Incident.objects.count()
seed = 10
while have < wanted:
    batch = min(5000, wanted - have)
    history_generate(incidents=batch, seed=seed + have, entries_per_incident=20, items_per_incident=4)
    have += batch
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
team, _ = Team.objects.get_or_create(slug="load-bench", defaults={"name": "Load bench"})
sessions = []
for n in range(USERS):
    email = "load-member@example.com" if n == 0 else f"load-member-{n}@example.com"
    user, _ = User.objects.get_or_create(
        email=email, defaults={"display_name": f"Load Member {n}", "time_zone": "Europe/Berlin"}
    )
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": "viewer"})
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    sessions.append(client.cookies["sessionid"].value)
print(json.dumps({"sessions": sessions, "incidents": Incident.objects.count()}))
"""


def _setup(env: dict[str, str], incidents: int, users: int) -> dict[str, Any]:
    _sh(PY, "manage.py", "migrate", "--noinput", env=env)
    code = SETUP.replace("int(sys.argv[-1])", str(incidents)).replace("range(USERS)", f"range({users})")
    out = _sh(PY, "manage.py", "shell", "-c", code, env=env)
    return json.loads(out.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    VAR.mkdir(parents=True, exist_ok=True)
    log = open(VAR / "gunicorn.log", "a")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [PY, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
         "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(150):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/accounts/login/")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"gunicorn did not start; see {VAR / 'gunicorn.log'}")


def _get(conn: http.client.HTTPConnection, path: str, cookie: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"})
    resp = conn.getresponse()
    return resp.status, resp.read()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def hammer(port: int, path: str, cookies: list[str], *, seconds: float, connections: int) -> dict[str, Any]:
    """`connections` keep-alive clients GET `path` for `seconds`, client i signed in with `cookies[i % n]`.
    Returns req/s, p50/p99 (ms), errors."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start = time.monotonic()
    stop_at = start + seconds

    def client(cookie: str) -> None:
        conn: http.client.HTTPConnection | None = None
        mine: list[float] = []
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status, _ = _get(conn, path, cookie)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                if conn is not None:
                    conn.close()
                conn = None
                continue
            mine.append(time.perf_counter() - t0)
            if status != 200:
                with lock:
                    errors[str(status)] = errors.get(str(status), 0) + 1
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(cookies[i % len(cookies)],)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return {
        "path": path,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": _pct(latencies, 0.5) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_perf")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument(
        "--path", action="append", help="a page to load (repeatable); default /insights/?start="
    )
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--users", type=int, default=1, help="distinct members (same scope) the connections sign in as"
    )
    parser.add_argument("--json", help="append the rows to this file (JSON lines)")
    args = parser.parse_args()
    if urlsplit(args.database_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback databases only")
    paths = args.path or ["/insights/?start="]

    _ensure_database(args.database_url)
    env = _env(args.database_url)
    t0 = time.monotonic()
    state = _setup(env, args.incidents, args.users)
    print(f"data ready: {state['incidents']:,} incidents ({time.monotonic() - t0:.0f} s)", flush=True)
    floors = VAR / "floor"
    floors.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    server = _start_gunicorn(env, port, args.workers, args.threads)
    rows: list[dict[str, Any]] = []
    try:
        for n, path in enumerate(paths):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status, body = _get(conn, path, state["sessions"][0])
            conn.close()
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            key = f"p{n}"
            (floors / f"{key}.html").write_bytes(body)
            page = hammer(port, path, state["sessions"], seconds=args.seconds, connections=args.connections)
            floor = hammer(
                port, f"/__bench__/file-floor/{key}/", state["sessions"],
                seconds=args.seconds, connections=args.connections,
            )  # fmt: skip
            floor["path"] = f"floor of {path}"
            for row in (page, floor):
                row["bytes"] = len(body)
                rows.append(row)
    finally:
        server.terminate()
        server.wait(timeout=20)
    load = os.getloadavg()
    print(
        f"\ngunicorn {args.workers} workers x {args.threads} threads, {args.connections} connections, "
        f"{args.users} users, {args.seconds:g} s each, {state['incidents']:,} incidents; load average {load[0]:.2f} {load[1]:.2f}"
    )
    print(f"{'what':<44} {'req/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for row in rows:
        print(
            f"{row['path'][:44]:<44} {row['rps']:>8.1f} {row['p50_ms']:>9.1f} {row['p99_ms']:>9.1f} "
            f"{row['errors']:>7}" + (f" {row['error_kinds']}" if row["errors"] else "")
        )
    if args.json:
        with open(args.json, "a") as out:
            for row in rows:
                out.write(json.dumps({**row, "at": time.time(), "load": load[0]}) + "\n")
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
