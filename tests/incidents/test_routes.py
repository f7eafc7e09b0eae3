"""Every route name the code and templates link to exists: a renamed route fails here, not in a user's
inbox (`url_for` raises NoReverseMatch and never falls back to another page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, get_resolver

from incidents.emails import url_for

ROOT = Path(__file__).resolve().parents[2]
# reverse("ns:name"), reverse_lazy(...), redirect(...), url_for(...), resolve_url(...) and {% url 'ns:name' %}
PY_NAME = re.compile(
    r"""\b(?:reverse|reverse_lazy|redirect|url_for|resolve_url)\(\s*["']([\w-]+:[\w-]+)["']"""
)
TEMPLATE_NAME = re.compile(r"""\{%\s*url\s+["']([\w-]+:[\w-]+)["']""")


def route_names_used() -> dict[str, list[str]]:
    """Route name -> the files that link to it, from the apps' Python source and every template."""
    used: dict[str, list[str]] = {}
    files = [(p, PY_NAME) for d in ("incidents", "accounts", "config") for p in (ROOT / d).rglob("*.py")]
    files += [(p, TEMPLATE_NAME) for p in (ROOT / "templates").rglob("*.html")]
    files += [(p, TEMPLATE_NAME) for p in (ROOT / "templates").rglob("*.txt")]
    for path, pattern in files:
        for name in pattern.findall(path.read_text()):
            used.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return used


def known_route_names() -> set[str]:
    """Every `namespace:name` the URL configuration defines (nested namespaces joined with `:`)."""
    names: set[str] = set()

    def walk(resolver, prefix: str) -> None:
        for key in resolver.reverse_dict:
            if isinstance(key, str):
                names.add(prefix + key)
        for namespace, (_, sub) in resolver.namespace_dict.items():
            walk(sub, f"{prefix}{namespace}:")

    walk(get_resolver(), "")
    return names


def test_every_route_name_linked_to_exists():
    used = route_names_used()
    assert len(used) > 30, "the scan found too few route names: is the pattern still right?"
    known = known_route_names()
    missing = {name: files for name, files in used.items() if name not in known}
    assert missing == {}


def test_the_scan_sees_a_name_in_python_and_in_a_template():
    assert PY_NAME.findall('x = url_for("incidents:detail", 3)') == ["incidents:detail"]
    assert TEMPLATE_NAME.findall("<a href=\"{% url 'incidents:postmortem' n %}\">") == [
        "incidents:postmortem"
    ]
    assert "incidents:detail" in known_route_names()
    assert "incidents:no_such_page" not in known_route_names()


def test_a_link_to_a_missing_route_is_an_error_not_another_page():
    with pytest.raises(NoReverseMatch):
        url_for("incidents:action_item", 1)
