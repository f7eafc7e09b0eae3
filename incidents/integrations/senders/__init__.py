"""One module per sender; `SENDERS` maps an integration kind to its module."""

from __future__ import annotations

from types import ModuleType

from incidents.integrations.senders import alertmanager, grafana, opsgenie, pagerduty

SENDERS: dict[str, ModuleType] = {m.KIND: m for m in (alertmanager, grafana, pagerduty, opsgenie)}
