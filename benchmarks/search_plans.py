"""Search on a large PostgreSQL database: time `search()` and `EXPLAIN ANALYZE` each query it runs.

    createdb -h 127.0.0.1 -U postgres hs_perf
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_perf python manage.py migrate
    DATABASE_URL=... python manage.py generate_history --incidents 10000 --entries 20 --items 4 --days 1095
    DATABASE_URL=... python benchmarks/search_plans.py [-v] [query ...]   # default: database, replication lag, zzzunfound

For a team member (internal incidents and their own restricted ones) and an admin, prints the best of 5
single-threaded runs of `search()` and, per query it ran, the database's execution time (`-v`: the plan's
key lines). Creates the users perf-member@example.com and perf-admin@example.com if missing.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Membership, Team, User  # noqa: E402
from incidents.insights.search import search  # noqa: E402

KEY_NODES = ("Scan", "Join", "Loop", "Limit", "Sort", "CTE", "Execution")


def _member() -> User:
    user, _ = User.objects.get_or_create(
        email="perf-member@example.com", defaults={"display_name": "Perf Member"}
    )
    team = Team.objects.order_by("id").first() or Team.objects.create(name="Perf", slug="perf")
    Membership.objects.get_or_create(user=user, team=team)
    return user


def _admin() -> User:
    user, _ = User.objects.get_or_create(
        email="perf-admin@example.com", defaults={"display_name": "Perf Admin", "is_staff": True}
    )
    return user


def main(argv: list[str]) -> None:
    verbose = "-v" in argv
    queries = [a for a in argv if not a.startswith("-")] or ["database", "replication lag", "zzzunfound"]
    for who, user in (("member", _member()), ("admin", _admin())):
        for q in queries:
            best = float("inf")
            for _ in range(5):
                fresh = User.objects.get(pk=user.pk)
                started = time.perf_counter()
                search(fresh, q)
                best = min(best, time.perf_counter() - started)
            with CaptureQueriesContext(connection) as ctx:
                results = search(User.objects.get(pk=user.pk), q)
            print(
                f"== {who} q={q!r}: best {best * 1000:.1f} ms, {len(ctx.captured_queries)} queries, "
                f"counts {results.counts}"
            )
            for captured in ctx.captured_queries:
                sql = captured["sql"]
                if not sql.startswith(("SELECT", "WITH")):
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = [row[0] for row in cursor.fetchall()]
                table = re.search(r'FROM "(\w+)"', sql)
                print(f"  {float(plan[-1].split()[2]):8.1f} ms  {table.group(1) if table else sql[:40]}")
                if verbose:
                    for line in plan:
                        if any(k in line for k in KEY_NODES):
                            print("      " + line[:170])


if __name__ == "__main__":
    main(sys.argv[1:])
