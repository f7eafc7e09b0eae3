#!/usr/bin/env python
"""Run every benchmark under `benchmarks/` and compare it with the floor of the same stack.

Usage: `make bench` or `.venv/bin/python benchmarks/run.py [--only NAME ...] [--quick] [--strict]`.

Each module `benchmarks/bench_<name>.py` exposes `run(ctx: Context) -> list[dict]`. The runner:

1. points Django at an isolated database: a fresh SQLite file `var/bench/bench.sqlite3`, or
   `BENCH_DATABASE_URL` (migrated, then flushed), so no benchmark touches your development data;
2. gives each module a `Context` (see `benchmarks/harness.py`) whose `ctx.compare_page(...)` measures a page
   and, in the same run and interleaved with it, the **floor**: a minimal view on the same stack (same
   middleware, session and user loading, URL routing, test client) that returns a pre-rendered page of the
   same size, i.e. what transport alone costs;
3. prints a table of absolute times (median of repeated runs), ratios to the floor and targets, and writes
   `benchmarks/results.json`.

The exit status is 0 unless a benchmark crashed, or `--strict` is given and a target was missed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
RESULTS_FILE = BENCH_DIR / "results.json"


def _prepare_environment() -> str:
    """Point settings at the isolated bench database and var dir; return a printable database label."""
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    os.environ["HINDSIGHT_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        os.environ["DATABASE_URL"] = url
        return url.split("@")[-1]
    db = var / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    return str(db.relative_to(ROOT))


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.urls import clear_url_caches

    call_command("migrate", interactive=False, verbosity=0)
    if connection.vendor != "sqlite":
        call_command("flush", interactive=False, verbosity=0)
    settings.ROOT_URLCONF = "benchmarks.urls"
    clear_url_caches()


def discover(only: list[str] | None = None) -> list[str]:
    """Module names `benchmarks.bench_*`, sorted; `only` keeps those whose short name is listed."""
    names = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
    if only:
        wanted = {n.removeprefix("bench_") for n in only}
        names = [n for n in names if n.removeprefix("bench_") in wanted]
    return [f"benchmarks.{n}" for n in names]


def _fmt_ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.2f}"


def _fmt(value: object, spec: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return format(value, spec or ".2f")
    return str(value)


def print_table(results: list[dict]) -> None:
    """Print one row per result: absolute time, floor, ratio to the floor, target and verdict."""
    headers = ["benchmark", "case", "time ms", "floor ms", "ratio", "value", "target", "result"]
    rows = []
    for r in results:
        target = r.get("target")
        ok = r.get("ok")
        rows.append(
            [
                r.get("bench", ""),
                r.get("name", ""),
                _fmt_ms(r.get("seconds")),
                _fmt_ms(r.get("floor_seconds")),
                (_fmt(r.get("ratio")) + "x") if r.get("ratio") is not None else "-",
                f"{_fmt(r.get('value'))} {r.get('unit', '')}".strip() if r.get("value") is not None else "-",
                target or "-",
                "-" if ok is None else ("ok" if ok else "MISSED"),
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    notes = [r for r in results if r.get("note")]
    if notes:
        print()
        for r in notes:
            print(f"  {r.get('bench')} / {r.get('name')}: {r['note']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (e.g. timeline)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    label = _prepare_environment()
    _setup_django()
    from django.db import connection

    from benchmarks.harness import Context

    modules = discover(args.only)
    print(f"Hindsight benchmarks on {connection.vendor} ({label}); {len(modules)} module(s)\n")
    ctx = Context(quick=args.quick)
    all_results: list[dict] = []
    crashed: list[str] = []
    started = time.perf_counter()
    for name in modules:
        short = name.rsplit(".", 1)[-1].removeprefix("bench_")
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(name)
            results = module.run(ctx)
        except Exception:
            traceback.print_exc()
            crashed.append(short)
            all_results.append({"bench": short, "name": "crashed", "ok": False, "note": "see traceback"})
            continue
        for r in results:
            r.setdefault("bench", short)
        all_results.extend(results)
        print(f"  {short}: {len(results)} result(s) in {time.perf_counter() - t0:.1f} s", flush=True)
    print()
    print_table(all_results)
    payload = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": args.quick,
        "total_seconds": round(time.perf_counter() - started, 1),
        "results": all_results,
    }
    RESULTS_FILE.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"\nWrote {RESULTS_FILE.relative_to(ROOT)} in {payload['total_seconds']} s total.")
    if crashed:
        print(f"Crashed: {', '.join(crashed)}", file=sys.stderr)
        return 2
    missed = [r for r in all_results if r.get("ok") is False]
    if args.strict and missed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
