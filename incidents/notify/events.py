"""In-process hooks that services fire after commit (notifications, webhooks).

Other modules register receivers with `on_event`; services call `emit` inside their transaction and the
receivers run on commit, so nothing is sent for a rolled-back change. A receiver's failure is logged and
never breaks the write that caused it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)
_receivers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def on_event(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator registering a receiver for event `name` (e.g. `incident.declared`)."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        if fn not in _receivers[name]:
            _receivers[name].append(fn)
        return fn

    return register


def emit(name: str, **payload: Any) -> None:
    """Run every receiver of `name` with `payload` once the current transaction commits."""

    def run() -> None:
        for fn in list(_receivers.get(name, [])):
            try:
                fn(**payload)
            except Exception:  # a side effect must never undo or fail the write
                logger.exception("receiver %s of %s failed", fn, name)

    transaction.on_commit(run)
