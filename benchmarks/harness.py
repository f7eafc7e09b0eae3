"""What a benchmark module gets: clients on the real stack, a timer and the floor view.

A benchmark is a module `benchmarks/bench_<name>.py` with `run(ctx: Context) -> list[dict]`. Each dict is
one row of the table; the keys the runner understands:

- `name` (str): the case, e.g. `incident page, 1,000 entries`;
- `seconds` (float): the median time of one operation;
- `floor_seconds` (float) and `ratio` (float): the floor for the same response size and seconds / floor;
- `unit` (`"s"` default, or anything else with `value`, e.g. `"entries/s"`): for non-time figures;
- `target` (str) and `ok` (bool): the target named in the issue and whether it was met;
- `note` (str), `extra` (dict): free text and raw figures for results.json.

Use `ctx.compare_page(...)` for a page, `ctx.measure(fn)` for anything else, `ctx.user(...)` and
`ctx.client(user)` to act as someone. Create your own rows (incidents, entries); the database is shared by
every module in a run and is fresh for each run.
"""

from __future__ import annotations

import gc
import itertools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client

FLOOR_PAGES: dict[str, bytes] = {}
_floor_keys = itertools.count(1)


def floor_view(request: HttpRequest, key: str) -> HttpResponse:
    """The floor: return a pre-rendered body through the same middleware, session and user loading."""
    _ = request.user.is_authenticated  # the real pages load the session and user; so does the floor
    return HttpResponse(FLOOR_PAGES[key], content_type="text/html; charset=utf-8")


def file_floor_view(request: HttpRequest, key: str) -> HttpResponse:
    """The floor under gunicorn (`benchmarks/load.py`): the body stored in `$BENCH_FLOOR_DIR/<key>.html`,
    read once per process, through the same middleware, session and user loading as the page."""
    _ = request.user.is_authenticated
    if key not in FLOOR_PAGES:
        if not key.isalnum():
            raise Http404("No such floor.")
        path = Path(os.environ.get("BENCH_FLOOR_DIR", "var/load/floor")) / f"{key}.html"
        try:
            FLOOR_PAGES[key] = path.read_bytes()
        except OSError as exc:
            raise Http404("No such floor.") from exc
    return HttpResponse(FLOOR_PAGES[key], content_type="text/html; charset=utf-8")


@dataclass
class Timing:
    """Seconds per run: `median`, `best`, and how many `runs` were timed."""

    median: float
    best: float
    runs: int


def _body(response: Any) -> bytes:
    """The whole body of `response`, a streamed one read to its end."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@dataclass
class Context:
    """Shared by all modules of one run. `quick` asks for fewer repetitions."""

    quick: bool = False
    _users: dict[str, Any] = field(default_factory=dict)

    @property
    def repeat(self) -> int:
        """Default number of timed runs per measurement."""
        return 5 if self.quick else 15

    def user(self, email: str = "bench@example.com", *, staff: bool = True, time_zone: str = "UTC") -> Any:
        """A user (created once per email). Staff by default so permission checks never get in the way."""
        from accounts.models import User

        if email not in self._users:
            user, _ = User.objects.get_or_create(
                email=email,
                defaults={
                    "display_name": email.split("@")[0].title(),
                    "is_staff": staff,
                    "is_superuser": staff,
                    "time_zone": time_zone,
                },
            )
            self._users[email] = user
        return self._users[email]

    def client(self, user: Any | None = None) -> Client:
        """A test client on the full middleware stack, signed in as `user` when given."""
        c = Client()
        if user is not None:
            c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return c

    def measure(self, fn: Callable[[], Any], *, repeat: int | None = None, warmup: int = 2) -> Timing:
        """Time `fn()` `repeat` times after `warmup` untimed calls; GC is off while timing."""
        for _ in range(warmup):
            fn()
        times = []
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for _ in range(repeat or self.repeat):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
        finally:
            if gc_was:
                gc.enable()
        return Timing(median=statistics.median(times), best=min(times), runs=len(times))

    def register_floor(self, body: bytes) -> str:
        """Store `body` as a floor page and return its URL."""
        key = str(next(_floor_keys))
        FLOOR_PAGES[key] = body
        return f"/__bench__/floor/{key}/"

    def compare_page(
        self,
        name: str,
        client: Client,
        url: str,
        *,
        repeat: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict:
        """Measure GET `url` and, interleaved with it, the floor for a body of the same size.

        Raises AssertionError if the page does not answer 200. Returns a result row with `seconds` and
        `floor_seconds` (best of the runs), `ratio`, and the medians and `bytes` in `extra`. A streamed
        response (a CSV) is read to its end in every timed run: the test client returns before the
        generator runs, so timing only the call would measure the headers.
        """
        headers = headers or {}
        first = client.get(url, headers=headers)
        assert first.status_code == 200, f"{url} answered {first.status_code}"
        body = _body(first)
        floor_url = self.register_floor(body)
        floor_first = client.get(floor_url)
        assert floor_first.status_code == 200
        assert len(floor_first.content) == len(body)

        page_times: list[float] = []
        floor_times: list[float] = []
        n = repeat or self.repeat

        def get_page() -> None:
            _body(client.get(url, headers=headers))

        def get_floor() -> None:
            client.get(floor_url)

        for _ in range(2):
            get_page()
            get_floor()
        # Interleave so that noise from other processes on the machine hits both alike.
        for _ in range(n):
            page_times.append(self.measure(get_page, repeat=1, warmup=0).median)
            floor_times.append(self.measure(get_floor, repeat=1, warmup=0).median)
        # Best of n, not the median: on a shared machine preemption adds milliseconds at random, which
        # swamps a sub-millisecond floor; the fastest run is the cost of the work itself (as timeit does).
        page, floor = min(page_times), min(floor_times)
        return {
            "name": name,
            "seconds": page,
            "floor_seconds": floor,
            "ratio": page / floor if floor else None,
            "extra": {
                "bytes": len(body),
                "runs": n,
                "median_seconds": statistics.median(page_times),
                "median_floor_seconds": statistics.median(floor_times),
            },
        }
