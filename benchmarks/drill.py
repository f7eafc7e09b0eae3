"""Load and fault drills against gunicorn on PostgreSQL (loopback only, bounded, stops by itself).

    python benchmarks/drill.py load            # 16 writers + 8 pollers on one incident for 30 s
    python benchmarks/drill.py redis           # the same, with the app's Redis stopped for the middle third;
                                               # incidents declared meanwhile are emailed once after it returns
    python benchmarks/drill.py postgres        # the same, with a private PostgreSQL cluster restarted mid-run
    python benchmarks/drill.py worker          # a Celery worker SIGKILLed mid-sweep, restarted; each email once
    python benchmarks/drill.py declare         # served as `make run` serves (gunicorn, config.wsgi_local, 1 worker
                                               # x 8 threads): 50 parallel declarations, then 50 parallel alerts,
                                               # half of each repeating 10 keys, then 50 alerts all of one key:
                                               # all 201/200, unique numbers, each stored exactly once

Each prints what was sent (acknowledged by the server), stored (counted in the database) and lost (acknowledged
but not stored: must be zero), throughput, p50/p99 latency and server errors, and appends its figures to
`benchmarks/drills.json`. Options: `--seconds`, `--writers`, `--pollers`, `--database-url` (default: a database
`hs_drill` on 127.0.0.1:5432; the `postgres` drill makes its own cluster on port 5499 with pg_createcluster).
The Redis drill starts its own redis-server on port 6391; nothing shared is ever stopped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "drill"
RESULTS = ROOT / "benchmarks" / "drills.json"
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(args), check=False, capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{args[:4]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    if not name.isidentifier():
        raise SystemExit(f"database name {name!r}: letters, digits and underscores only")
    base = url.rsplit("/", 1)[0] + "/postgres"
    out = sh("psql", base, "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'").stdout  # noqa: S608
    if "1" not in out:
        sh("psql", base, "-c", f"CREATE DATABASE {name}")


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on port 5499, so restarting it disturbs nobody else."""

    def __init__(self, port: int = 5499) -> None:
        self.port = port
        self.version = sorted(os.listdir("/etc/postgresql"))[-1]
        self.name = "hsdrill"

    def create(self) -> str:
        sh("pg_dropcluster", "--stop", self.version, self.name, check=False)
        sh("pg_createcluster", self.version, self.name, "-p", str(self.port), "--", "--auth=trust")
        self.start()
        sh("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE drill")
        return f"postgres://postgres@127.0.0.1:{self.port}/drill"

    def start(self) -> None:
        sh("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "start")

    def stop(self) -> None:
        sh(
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            self.version,
            self.name,
            "stop",
            "-m",
            "fast",
            check=False,
        )

    def drop(self) -> None:
        sh("pg_dropcluster", "--stop", self.version, self.name, check=False)


class PrivateRedis:
    def __init__(self, port: int = 6391) -> None:
        self.port = port

    def start(self) -> None:
        sh("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
           "--appendonly", "no")  # fmt: skip
        for _ in range(50):
            if sh("redis-cli", "-p", str(self.port), "ping", check=False).stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("private redis did not start")

    def stop(self) -> None:
        sh("redis-cli", "-p", str(self.port), "shutdown", "nosave", check=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def app_env(database_url: str, redis_url: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        HINDSIGHT_VAR_DIR=str(VAR),
        API_THROTTLE_RATE="1000000/min",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(VAR / "mail"),
        NOTIFY_REPUBLISH_AFTER_SECONDS="3",
        DJANGO_SETTINGS_MODULE="config.settings",
        CONN_MAX_AGE="0",
    )
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def setup_app(env: dict[str, str]) -> dict[str, Any]:
    """Migrate and create a commander with a read-write token, a subscriber and one incident."""
    sh(PY, "manage.py", "migrate", "--noinput", env=env)
    code = r"""
import json
from accounts.models import Membership, Team, User
from accounts.tokens import api_token_create
from incidents.models import Service, Subscription
from incidents.incident.services.declare import incident_declare
team, _ = Team.objects.get_or_create(slug="drill", defaults={"name": "Drill"})
user, _ = User.objects.get_or_create(email="drill-commander@example.com", defaults={"display_name": "Drill"})
Membership.objects.get_or_create(user=user, team=team, defaults={"role": "lead"})
sub, _ = User.objects.get_or_create(email="drill-subscriber@example.com", defaults={"display_name": "Sub"})
Membership.objects.get_or_create(user=sub, team=team, defaults={"role": "viewer"})
svc, _ = Service.objects.get_or_create(slug="drill-svc", defaults={"name": "Drill service", "team": team})
Subscription.objects.get_or_create(user=sub, service=svc)
import uuid
_, raw = api_token_create(actor=user, name="drill-" + uuid.uuid4().hex[:8], read_only=False)
inc = incident_declare(actor=user, title="Load drill", severity="SEV3", services=[svc])
print(json.dumps({"token": raw, "incident": inc.number}))
"""
    out = sh(PY, "manage.py", "shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    return json.loads(out)


def count_rows(env: dict[str, str], code: str) -> Any:
    out = sh(PY, "manage.py", "shell", "-c", code, env=env).stdout.strip().splitlines()[-1]
    return json.loads(out)


def start_gunicorn(env: dict[str, str], port: int, *, like_make_run: bool = False) -> subprocess.Popen:
    """gunicorn on `port`: 3 workers x 8 threads on config.wsgi (a team's deployment), or with `like_make_run`
    the command scripts/run_all.py runs (config.wsgi_local, 1 worker x 8 threads)."""
    if like_make_run:
        serving = ["config.wsgi_local:application", "--workers", "1", "--threads", "8", "--timeout", "300"]
    else:
        serving = ["config.wsgi:application", "--workers", "3", "--threads", "8", "--timeout", "30"]
    proc = subprocess.Popen(
        [PY, "-m", "gunicorn", *serving, "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=open(VAR / "gunicorn.log", "a"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/accounts/login/")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start; see var/drill/gunicorn.log")


ERRORS: dict[str, int] = {}


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any, float]:
        t0 = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.conn.request(
                method, path, body=json.dumps(body) if body is not None else None, headers=self.headers
            )
            resp = self.conn.getresponse()
            data = resp.read()
            status = resp.status
            if resp.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException) as exc:
            ERRORS[type(exc).__name__] = ERRORS.get(type(exc).__name__, 0) + 1
            if self.conn:
                self.conn.close()
            self.conn = None
            return 0, None, time.perf_counter() - t0
        try:
            payload = json.loads(data) if data else None
        except ValueError:
            payload = None
        return status, payload, time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run_load(port: int, setup: dict, seconds: float, writers: int, pollers: int, declare_during: tuple | None = None,
             tag: str = "load") -> dict[str, Any]:  # fmt: skip
    stop_at = time.monotonic() + seconds
    acked: list[int] = []
    write_lat: list[float] = []
    poll_lat: list[float] = []
    statuses: dict[int, int] = {}
    declared: list[int] = []
    lock = threading.Lock()
    start = time.monotonic()

    def writer(n: int) -> None:
        c = Client(port, setup["token"])
        i = 0
        while time.monotonic() < stop_at:
            i += 1
            status, payload, lat = c.request(
                "POST", "/api/v1/timeline-entries/",
                {"incident": setup["incident"], "body": f"{tag} w{n} #{i}", "kind": "action"},
            )  # fmt: skip
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    acked.append(payload["id"])
                    write_lat.append(lat)
            if status != 201:
                time.sleep(0.05)

    def poller(n: int) -> None:
        c = Client(port, setup["token"])
        since = "2000-01-01T00:00:00Z"
        while time.monotonic() < stop_at:
            status, payload, lat = c.request(
                "GET", f"/api/v1/timeline-entries/?incident={setup['incident']}&since={since}&page_size=200"
            )
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    poll_lat.append(lat)
            time.sleep(1.0)

    def declarer() -> None:
        assert declare_during is not None
        begin, end, count = declare_during
        c = Client(port, setup["token"])
        time.sleep(begin)
        gap = (end - begin) / max(count, 1)
        for k in range(count):
            status, payload, _ = c.request(
                "POST", "/api/v1/incidents/",
                {"title": f"Declared during the outage {k}", "severity": "SEV2", "services": ["drill-svc"]},
            )  # fmt: skip
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    declared.append(payload.get("number"))
            time.sleep(gap)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    threads += [threading.Thread(target=poller, args=(n,)) for n in range(pollers)]
    if declare_during:
        threads.append(threading.Thread(target=declarer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    elapsed = time.monotonic() - start
    return {
        "acked_ids": acked,
        "declared": declared,
        "writes_acknowledged": len(acked),
        "throughput_per_s": round(len(acked) / elapsed, 1),
        "write_p50_ms": round(pct(write_lat, 0.5) * 1000, 1),
        "write_p99_ms": round(pct(write_lat, 0.99) * 1000, 1),
        "write_max_ms": round(max(write_lat, default=0) * 1000, 1),
        "poll_p50_ms": round(pct(poll_lat, 0.5) * 1000, 1),
        "poll_p99_ms": round(pct(poll_lat, 0.99) * 1000, 1),
        "polls": len(poll_lat),
        "statuses": statuses,
        "server_errors": sum(v for k, v in statuses.items() if k >= 500 and k != 503),
        "failed_cleanly": sum(v for k, v in statuses.items() if k in (0, 503)),
        "connection_errors": dict(ERRORS),
    }


def run_declare_storm(port: int, setup: dict, count: int, keys: int) -> dict[str, Any]:
    """`count` parallel declarations, then `count` parallel alerts, then `count` parallel alerts of one key,
    each storm released at once by a barrier.

    In the first two, half carry one of `keys` repeated keys (Idempotency-Key header / dedup_key), the other
    half are distinct; in the third every alert carries the same key. Expected: every request 201 or 200
    (201 once per distinct key), unique numbers, every repeat answered with the incident of its key.
    """

    def storm(kind: str, keys: int) -> dict[str, Any]:
        barrier = threading.Barrier(count)
        results: list[tuple[int, Any, float]] = [(0, None, 0.0)] * count
        same = kind == "alert_same_key"

        def one(i: int) -> None:
            c = Client(port, setup["token"])
            repeated = same or i % 2 == 1
            key = f"{kind}-{setup['run']}-" + (f"k{i // 2 % keys}" if repeated else f"u{i}")
            if kind == "declare":
                path, body = "/api/v1/incidents/", {"title": f"{setup['run']} {kind} {i}", "severity": "SEV3"}
                if repeated:
                    c.headers = {**c.headers, "Idempotency-Key": key}
            else:
                path, body = (
                    "/api/v1/alerts/",
                    {"dedup_key": key, "title": f"{setup['run']} {kind} {i}", "severity": "SEV2"},
                )
            barrier.wait(timeout=60)
            results[i] = c.request("POST", path, body)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        elapsed = time.perf_counter() - t0
        statuses: dict[int, int] = {}
        for status, _, _ in results:
            statuses[status] = statuses.get(status, 0) + 1
        numbers = [p["number"] for s, p, _ in results if s in (200, 201) and p]
        created = [p["number"] for s, p, _ in results if s == 201 and p]
        distinct_keys = 1 if same else count - count // 2 + min(keys, count // 2)
        lat = [lt for s, _, lt in results if s in (200, 201)]
        return {
            f"{kind}_requests": count,
            f"{kind}_statuses": statuses,
            f"{kind}_expected_201_200": [distinct_keys, count - distinct_keys],
            f"{kind}_incidents_created": len(created),
            f"{kind}_unique_numbers": len(set(created)) == len(created),
            f"{kind}_repeats_answered_with_existing": len(set(numbers)) == distinct_keys,
            f"{kind}_seconds": round(elapsed, 2),
            f"{kind}_p50_ms": round(pct(lat, 0.5) * 1000, 1),
            f"{kind}_max_ms": round(max(lat, default=0) * 1000, 1),
            f"{kind}_ok": statuses == {201: distinct_keys, 200: count - distinct_keys}
            and len(set(created)) == len(created) == distinct_keys
            and len(set(numbers)) == distinct_keys,
            f"{kind}_expected_stored": distinct_keys,
        }

    figures = {**storm("declare", keys), **storm("alert", keys), **storm("alert_same_key", 1)}
    figures["server_errors"] = sum(
        v
        for k in ("declare_statuses", "alert_statuses", "alert_same_key_statuses")
        for s, v in figures[k].items()
        if s >= 500 or s == 0
    )
    return figures


def verify_stored(env: dict[str, str], acked: list[int], tag: str) -> dict[str, int]:
    Path(VAR / "acked.json").write_text(json.dumps(acked))
    code = f"""
import json
from incidents.models import TimelineEntry
acked = set(json.load(open({str(VAR / "acked.json")!r})))
stored = set(TimelineEntry.objects.filter(body__startswith={tag + " w"!r}).values_list('id', flat=True))
print(json.dumps({{"stored": len(stored), "lost": len(acked - stored), "unacknowledged_but_stored": len(stored - acked)}}))
"""
    return count_rows(env, code)


def report(name: str, figures: dict[str, Any]) -> None:
    figures = {k: v for k, v in figures.items() if k not in ("acked_ids",)}
    print(f"\n== drill: {name} ==")
    for k, v in figures.items():
        print(f"  {k:28} {v}")
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[name] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **figures}
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def mail_count(subject_part: str) -> int:
    """Messages in the file-based outbox whose Subject line contains `subject_part`."""
    folder = VAR / "mail"
    if not folder.exists():
        return 0
    n = 0
    for f in folder.iterdir():
        for line in f.read_text(errors="replace").splitlines():
            if line.startswith("Subject:") and subject_part in line:
                n += 1
    return n


def start_worker(env: dict[str, str], name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [PY, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING", "--concurrency=2", "--pool=threads",
         "-n", f"{name}@%h"],
        cwd=ROOT, env=env, stdout=open(VAR / f"{name}.log", "a"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("drill", choices=["load", "redis", "postgres", "worker", "declare"])
    parser.add_argument("--count", type=int, default=50, help="declare: parallel requests per storm")
    parser.add_argument("--keys", type=int, default=10, help="declare: keys the repeated half shares")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--pollers", type=int, default=8)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DRILL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hs_drill"),
    )
    args = parser.parse_args()
    shutil.rmtree(VAR, ignore_errors=True)
    (VAR / "mail").mkdir(parents=True, exist_ok=True)
    private_pg = PrivatePostgres() if args.drill == "postgres" else None
    redis = PrivateRedis() if args.drill in ("redis", "worker") else None
    procs: list[subprocess.Popen] = []
    try:
        if private_pg:
            db_url = private_pg.create()
        else:
            db_url = args.database_url
            ensure_database(db_url)
        if redis:
            redis.start()
        env = app_env(db_url, redis.url if redis else "")
        setup = setup_app(env)
        port = free_port()
        procs.append(start_gunicorn(env, port, like_make_run=args.drill == "declare"))
        tag = f"{args.drill}-{int(time.time())}"

        if args.drill == "declare":
            setup["run"] = tag
            figures = run_declare_storm(port, setup, args.count, args.keys)
            figures["numbers_unique_in_database"] = count_rows(
                env,
                "import json; from incidents.models import Incident as I; "
                "n = list(I.objects.values_list('number', flat=True)); print(json.dumps(len(n) == len(set(n))))",
            )
            stored = count_rows(
                env,
                "import json; from incidents.models import Incident as I; "
                f"print(json.dumps({{k: I.objects.filter(title__startswith='{tag} ' + k + ' ').count() "
                "for k in ('declare', 'alert', 'alert_same_key')}))",
            )
            storms = ("declare", "alert", "alert_same_key")
            for kind in storms:
                figures[f"{kind}_stored_in_database"] = stored[kind]
            ok = figures["numbers_unique_in_database"] and all(
                figures[f"{k}_ok"] and stored[k] == figures[f"{k}_expected_stored"] for k in storms
            )
            figures["all_stored_exactly_once"] = ok
            report("declare", figures)
            return 0 if ok else 1
        if args.drill == "load":
            figures = run_load(port, setup, args.seconds, args.writers, args.pollers, tag=tag)
        elif args.drill == "postgres":
            assert private_pg is not None
            pg = private_pg
            third = args.seconds / 3

            def bounce() -> None:
                time.sleep(third)
                pg.stop()
                time.sleep(min(5.0, third))
                pg.start()

            t = threading.Thread(target=bounce)
            t.start()
            figures = run_load(port, setup, args.seconds, args.writers, args.pollers, tag=tag)
            t.join()
            # Service resumes without restarting the app: one more write must succeed.
            status, _, _ = Client(port, setup["token"]).request(
                "POST",
                "/api/v1/timeline-entries/",
                {"incident": setup["incident"], "body": f"{tag} w-after #1"},
            )
            figures["write_after_restart_status"] = status
        elif args.drill == "redis":
            assert redis is not None
            broker = redis
            third = args.seconds / 3

            def outage() -> None:
                time.sleep(third)
                broker.stop()
                time.sleep(third)
                broker.start()

            t = threading.Thread(target=outage)
            t.start()
            figures = run_load(port, setup, args.seconds, args.writers, args.pollers,
                               declare_during=(third + 1, 2 * third - 1, 5), tag=tag)  # fmt: skip
            t.join()
            # Redis is back: a worker and one sweep (which republishes what the broker lost) send each once.
            procs.append(start_worker(env, "drill-worker"))
            time.sleep(4)
            sh(PY, "manage.py", "sweep_reminders", env=env, check=False)
            deadline = time.monotonic() + 60
            expected = len(figures["declared"])
            while time.monotonic() < deadline and mail_count("Declared during the outage") < expected:
                time.sleep(1)
            time.sleep(3)
            sh(
                PY, "manage.py", "sweep_reminders", env=env, check=False
            )  # a second sweep must send nothing new
            time.sleep(5)
            figures["notifications_expected"] = expected
            figures["notifications_received"] = mail_count("Declared during the outage")
        else:  # worker
            # Queue many deliveries with no worker running, start one, SIGKILL it mid-batch, start another.
            code = f"""
import json
from django.db import transaction
from accounts.models import User
from incidents.notify.claims import notification_claim
from incidents.models import Notification
n = 0
with transaction.atomic():
    for k in range(200):
        row = notification_claim(recipient="drill-subscriber@example.com", kind="incident.declared",
                                 object_key="incident:{setup["incident"]}", period="drill-%d" % k)
        n += 1 if row else 0
print(json.dumps({{"claimed": n}}))
"""
            claimed = count_rows(env, code)
            key = f"incident:{setup['incident']}"
            w1 = start_worker(env, "drill-w1")
            procs.append(w1)
            time.sleep(3)
            os.kill(w1.pid, signal.SIGKILL)
            procs.append(start_worker(env, "drill-w2"))
            time.sleep(3)
            sh(PY, "manage.py", "sweep_reminders", env=env, check=False)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                stats = count_rows(
                    env,
                    "import json; from incidents.models import Notification as N; "
                    f"print(json.dumps({{'sent': N.objects.filter(object_key='{key}', "
                    "period__startswith='drill-', status='sent').count()}))",
                )
                if stats["sent"] >= 200:
                    break
                time.sleep(2)
            totals = count_rows(
                env,
                "import json; from incidents.models import Notification as N; "
                f"print(json.dumps({{'sent': N.objects.filter(object_key='{key}', status='sent').count()}}))",
            )
            figures = {
                "claimed": claimed["claimed"],
                "drill_rows_sent": stats["sent"],
                "rows_sent_total": totals["sent"],
                "emails_received": mail_count(""),
            }
            figures["duplicates"] = figures["emails_received"] - figures["rows_sent_total"]
            report("worker", figures)
            return 0 if stats["sent"] == 200 and figures["duplicates"] == 0 else 1

        figures.update(verify_stored(env, figures["acked_ids"], tag))
        report(args.drill, figures)
        ok = figures["lost"] == 0 and figures["server_errors"] == 0
        if "notifications_expected" in figures:
            ok = ok and figures["notifications_received"] == figures["notifications_expected"]
        return 0 if ok else 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if redis:
            redis.stop()
        if private_pg:
            private_pg.drop()


if __name__ == "__main__":
    raise SystemExit(main())
