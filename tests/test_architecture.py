"""The dependency rule, checked on the source: what may import what (README "Architecture").

Reads every module of the apps with `ast` (nothing is imported), and builds the graph of the imports that run
when a module loads: module-level statements, `try`/`if` blocks included, `if TYPE_CHECKING:` blocks excluded.
Run `python tests/test_architecture.py` for the whole report (edges by area, cycles, local imports).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from incidents.graphs import cyclic_components

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "config", "incidents")
# Areas in dependency order (not the order of an incident's life): the lower layer of an area (services,
# selectors, forms, models) may call the services of the areas before it. Incident services write system
# timeline entries; publishing a postmortem opens a policy finding and a recurring factor marks the action items
# that did not prevent it; an alert declares an incident.
ORDERED_AREAS = ("timeline", "incident", "followup", "review", "integrations")
# Every area may call notify. Insights only reads; audit reads history and owns soft delete and restore.
NOTIFY = "notify"
READ_ONLY_AREAS = ("insights", "audit")
AREAS = (*ORDERED_AREAS, NOTIFY, *READ_ONLY_AREAS)
# The top layer parses a request, a task or a command, calls one service and renders: it may call any area's
# services (audit's pages call the incident's soft delete), except that insights calls none.
TOP_LAYER = ("views", "api", "urls", "tasks", "management", "serializers")

# Function-local imports that stay, each with its reason. A new one needs a reason here, or to move to the top.
LOCAL_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {
    (
        "accounts.apps",
        "accounts.signals",
    ): "AppConfig.ready connects the receivers once the app registry is ready",
    (
        "incidents.apps",
        "incidents.notify.services",
    ): "AppConfig.ready registers every message builder (app registry ready)",
    (
        "incidents.apps",
        "incidents.insights.metrics.cache",
    ): "AppConfig.ready connects the receivers that drop cached Insights figures (app registry ready)",
    (
        "incidents.review.pdf",
        "weasyprint",
    ): "optional: WeasyPrint needs system libraries; a PDF export says so",
    (
        "incidents.review.blameless.names",
        "english_words",
    ): "only to build the cached name list (a 236,000-word list, once per package version), not on every start",
    (
        "incidents.review.blameless.names",
        "faker.providers.person",
    ): "only to build the cached name list (80+ locale modules, once per package version), not on every start",
}
# The largest an app module may be (lines, migrations aside): a module that grows past it holds more than one
# responsibility; split it by responsibility (as incident/services/ or permissions/), never by line count.
MAX_MODULE_LINES = 500


@dataclass(frozen=True)
class Import:
    """One import statement: `importer` imports `target` (a module name) at `line`; `local` if in a function."""

    importer: str
    target: str
    line: int
    local: bool
    function: str = ""


def module_files() -> dict[str, Path]:
    """Module name -> file, for every module of the apps (migrations included: they load too)."""
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The modules an import statement loads: `from a.b import c` is `a.b.c` when that is a module, else `a.b`."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: resolve against the importer's package
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    names = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known]
    return names or [base]


def imports_of(module: str, path: Path, known: set[str]) -> Iterator[Import]:
    """Every import in `module`; those under `if TYPE_CHECKING:` are left out (they never run)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"

    def walk(nodes: list[ast.AST], function: str) -> Iterator[Import]:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(node, module, is_package, known):
                    yield Import(module, target, node.lineno, bool(function), function)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from walk(list(node.orelse), function)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(list(node.body), function or node.name)
            else:  # a class body, `try`, `if`, `with`, `for`, `match` run their statements as the module loads
                children = [
                    c for f in ("body", "handlers", "orelse", "finalbody") for c in getattr(node, f, [])
                ]
                children += [c for case in getattr(node, "cases", []) for c in case.body]
                yield from walk(children, function)

    yield from walk(list(tree.body), "")


def all_imports() -> list[Import]:
    files = module_files()
    known = set(files)
    return [imp for module, path in files.items() for imp in imports_of(module, path, known)]


def app_module(name: str, known: set[str]) -> str | None:
    """The app module `name` refers to (itself, or the nearest enclosing package we have); None if outside."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def load_graph(imports: list[Import]) -> dict[str, set[str]]:
    """Module -> the app modules it loads when it is imported (function-local imports left out)."""
    known = set(module_files())
    graph: dict[str, set[str]] = {m: set() for m in known}
    for imp in imports:
        target = app_module(imp.target, known)
        if not imp.local and target and target != imp.importer:
            graph[imp.importer].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, `incidents.graphs`), each sorted."""
    return sorted(sorted(c) for c in cyclic_components({node: sorted(graph[node]) for node in sorted(graph)}))


def area_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "incidents" and parts[1] in AREAS else None


def is_services(module: str) -> bool:
    """`incidents.<area>.services` or a module of that package."""
    parts = module.split(".")
    return len(parts) >= 3 and parts[0] == "incidents" and parts[1] in AREAS and parts[2] == "services"


def is_top_layer(module: str) -> bool:
    """`incidents.<area>.views`, `.api`, `.tasks` ... (or a module of such a package)."""
    parts = module.split(".")
    return len(parts) >= 3 and parts[0] == "incidents" and parts[2] in TOP_LAYER


def upward_service_imports(imports: list[Import]) -> list[str]:
    """Imports of another area's services that the dependency rule forbids (local imports count too)."""
    wrong = []
    for imp in imports:
        here, there = area_of(imp.importer), area_of(imp.target)
        if here is None or there is None or here == there or not is_services(imp.target):
            continue
        if there == NOTIFY:
            continue  # every area may call notify
        if here == "insights":
            allowed = False  # insights only reads
        elif is_top_layer(imp.importer):
            allowed = True
        else:
            allowed = (
                here in ORDERED_AREAS
                and there in ORDERED_AREAS
                and ORDERED_AREAS.index(there) < ORDERED_AREAS.index(here)
            )
        if not allowed:
            wrong.append(f"{imp.importer}:{imp.line} ({here}) imports {imp.target} ({there})")
    return wrong


def test_the_app_modules_import_each_other_without_a_cycle():
    found = cycles(load_graph(all_imports()))
    assert found == [], "import cycles (module-level imports):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_areas_call_only_the_services_of_the_areas_before_them():
    wrong = upward_service_imports(all_imports())
    assert wrong == [], "imports against the dependency rule:\n" + "\n".join(wrong)


def test_the_rule_check_refuses_an_upward_call():
    imports = [
        Import(
            "incidents.timeline.services", "incidents.review.services.factors", 3, local=True, function="f"
        ),
        Import("incidents.followup.views.items", "incidents.review.services.factors", 4, local=False),
        Import("incidents.insights.views", "incidents.incident.services", 5, local=False),
        Import("incidents.review.services.factors", "incidents.notify.services", 6, local=False),
        Import("incidents.notify.delivery", "incidents.followup.services.items", 7, local=False),
        Import("incidents.followup.services.items", "incidents.review.services.factors", 8, local=False),
        Import("incidents.review.services.factors", "incidents.followup.services.items", 9, local=False),
    ]
    assert upward_service_imports(imports) == [
        "incidents.timeline.services:3 (timeline) imports incidents.review.services.factors (review)",
        "incidents.insights.views:5 (insights) imports incidents.incident.services (incident)",
        "incidents.notify.delivery:7 (notify) imports incidents.followup.services.items (followup)",
        "incidents.followup.services.items:8 (followup) imports incidents.review.services.factors (review)",
    ]


# Modules beside the areas that wire them together (they may import anything). The demo package writes
# through every area's services, as a management command does (its loaders run silenced by notify).
WIRING = ("incidents.admin", "incidents.apps", "incidents.urls", "incidents.demo")
# Shared helpers that are packages (every module in them is a shared helper).
SHARED_PACKAGES = ("permissions",)


def is_shared_helper(module: str) -> bool:
    """`incidents/<name>.py` beside the areas, or a module of a shared package (`incidents/permissions/`)."""
    parts = module.split(".")
    if parts[0] != "incidents" or len(parts) < 2 or parts[1] in AREAS or module in WIRING:
        return False
    return len(parts) == 2 or parts[1] in SHARED_PACKAGES


def shared_helper_imports_of_areas(imports: list[Import]) -> list[str]:
    """Imports from the shared helpers (`incidents/<name>.py`, `incidents/permissions/`) into an area,
    other than its models."""
    wrong = []
    for imp in imports:
        target = imp.target.split(".")
        if not is_shared_helper(imp.importer):
            continue
        if target[0] == "incidents" and len(target) >= 2 and target[1] in AREAS and target[2:3] != ["models"]:
            wrong.append(f"{imp.importer}:{imp.line} imports {imp.target}")
    return wrong


def test_the_shared_helpers_sit_below_every_area():
    """models.py, permissions/, markdown.py, csv.py ... import an area's models at most, nothing above."""
    wrong = shared_helper_imports_of_areas(all_imports())
    assert wrong == [], "a shared helper reaches up into an area:\n" + "\n".join(wrong)


def test_the_shared_helper_check_refuses_a_helper_calling_a_service():
    imports = [
        Import("incidents.permissions", "incidents.followup.models", 1, local=False),
        Import("incidents.csv", "incidents.review.services.factors", 2, local=True, function="f"),
        Import("incidents.urls", "incidents.review.views", 3, local=False),
        Import("incidents.permissions.followup", "incidents.followup.selectors", 4, local=False),
    ]
    assert shared_helper_imports_of_areas(imports) == [
        "incidents.csv:2 imports incidents.review.services.factors",
        "incidents.permissions.followup:4 imports incidents.followup.selectors",
    ]


def test_accounts_imports_nothing_from_incidents():
    wrong = [
        f"{imp.importer}:{imp.line} imports {imp.target}"
        for imp in all_imports()
        if imp.importer.split(".")[0] == "accounts" and imp.target.split(".")[0] == "incidents"
    ]
    assert wrong == []


def local_imports_not_allowed(imports: list[Import]) -> list[str]:
    """Function-local imports of anything not on the allow-list (stdlib and libraries included)."""
    return [
        f"{imp.importer}:{imp.line} in {imp.function}() imports {imp.target}"
        for imp in imports
        if imp.local
        and (imp.importer, imp.target) not in LOCAL_IMPORTS_ALLOWED
        and ".migrations." not in imp.importer  # generated
    ]


def test_imports_sit_at_the_top_of_the_module_unless_allowed_with_a_reason():
    wrong = local_imports_not_allowed(all_imports())
    assert wrong == [], "move these to the top, or allow them with a reason:\n" + "\n".join(wrong)


def test_every_allowed_local_import_still_exists():
    present = {(imp.importer, imp.target) for imp in all_imports() if imp.local}
    assert sorted(set(LOCAL_IMPORTS_ALLOWED) - present) == []


def modules_too_long(files: dict[str, Path], limit: int = MAX_MODULE_LINES) -> list[str]:
    """`module: N lines` for every app module (migrations aside) of `limit` lines or more, longest first."""
    sizes = {
        name: len(path.read_text().splitlines()) for name, path in files.items() if ".migrations." not in name
    }
    return [f"{name}: {n} lines" for name, n in sorted(sizes.items(), key=lambda kv: -kv[1]) if n >= limit]


def test_every_app_module_is_under_500_lines():
    too_long = modules_too_long(module_files())
    assert too_long == [], f"split these by responsibility (under {MAX_MODULE_LINES} lines):\n" + "\n".join(
        too_long
    )


def test_the_size_check_finds_a_long_module(tmp_path):
    long, short, migration = tmp_path / "long.py", tmp_path / "short.py", tmp_path / "0001_initial.py"
    long.write_text("x = 1\n" * 500)
    short.write_text("x = 1\n" * 499)
    migration.write_text("x = 1\n" * 900)
    files = {"incidents.long": long, "incidents.short": short, "incidents.migrations.0001_initial": migration}
    assert modules_too_long(files) == ["incidents.long: 500 lines"]


def test_the_import_reader_sees_local_and_type_checking_imports(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import os\n"
        "if TYPE_CHECKING:\n"
        "    from incidents.models import Incident\n"
        "try:\n"
        "    import json\n"
        "except ImportError:\n"
        "    json = None\n"
        "def f():\n"
        "    from incidents.review import services\n"
        "class C:\n"
        "    import csv\n"
    )
    known = {"incidents.review.services"}
    got = [(i.target, i.local, i.function) for i in imports_of("incidents.x", source, known)]
    assert got == [
        ("typing", False, ""),
        ("os", False, ""),
        ("json", False, ""),
        ("incidents.review.services", True, "f"),
        ("csv", False, ""),
    ]


if __name__ == "__main__":
    found_imports = all_imports()
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for imp in found_imports:
        a, b = area_of(imp.importer), area_of(imp.target)
        if a and b and a != b:
            edges[(a, b)] += 1
    print("area -> area imports:")
    for (a, b), n in sorted(edges.items()):
        print(f"  {a} -> {b}: {n}")
    print("cycles:", *(" <-> ".join(c) for c in cycles(load_graph(found_imports))), sep="\n  ")
    print("against the rule:", *upward_service_imports(found_imports), sep="\n  ")
    print("local imports:", *local_imports_not_allowed(found_imports), sep="\n  ")
