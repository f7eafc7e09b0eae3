"""Every row lock is taken inside a transaction, by construction.

`select_for_update()` outside `transaction.atomic` raises on PostgreSQL and does nothing on SQLite, so a
service whose `@transaction.atomic` slips (one did: a helper inserted between the decorator and
`incident_update` took it, and every web edit of an incident answered 500 on PostgreSQL while the SQLite
suite stayed green) is caught here on any database. A function that locks rows, or calls a helper that
does, must be decorated with `transaction.atomic` or make the call inside `with transaction.atomic()`.
Helpers that lock on behalf of a caller already in a transaction are listed below; their callers are
checked in turn.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "incidents"

# helper -> why it may lock without a transaction of its own (every caller is checked instead); a private
# helper (leading underscore) is named with its module, since several modules have their own `_declare`
LOCKING_HELPERS = {
    "lock_incident": "locks the incident row for the service that calls it",
    "lock_postmortem": "locks the postmortem row for the service that calls it",
    "lock_work": "locks an action item or finding for the service that calls it",
    "edit_work": "the shared edit of items and findings, called by their atomic services",
    "reset_approvals": "called by the postmortem edit inside its transaction",
    "followup/services/findings.py:_second_person": "verify / accept risk, called by their atomic services",
    "integrations/services/intake.py:_open_group": "finds the open alert group inside the intake's transaction",
    "integrations/services/intake.py:_declare": "declares inside the intake's transaction",
    "timeline/services.py:_locked": "locks a timeline entry for the edit or removal that calls it",
    "integrations/trackers/conflicts.py:_locked": "locks an item and its tracker issue for the atomic "
    "_claim and _take_trackers that call it",
}


def _helpers_for(module: str) -> set[str]:
    """The locking helpers a function of `module` (path under incidents/) may call by name."""
    local = {k.split(":")[1] for k in LOCKING_HELPERS if k.startswith(module + ":")}
    return {k for k in LOCKING_HELPERS if ":" not in k} | local


def _atomic(decorator: ast.expr) -> bool:
    text = ast.unparse(decorator)
    return text in ("transaction.atomic", "atomic") or text.startswith(("transaction.atomic(", "atomic("))


def _calls_outside_atomic(function: ast.FunctionDef, lockers: set[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            now_inside = inside or (
                isinstance(child, ast.With)
                and any("atomic" in ast.unparse(i.context_expr) for i in child.items)
            )
            if isinstance(child, ast.Call) and not inside:
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in lockers:
                    found.append((child.lineno, name))
            visit(child, now_inside)

    visit(function, False)
    return found


def test_every_row_lock_is_taken_inside_a_transaction():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        helpers = _helpers_for(path.relative_to(ROOT).as_posix())
        lockers = {"select_for_update", *helpers}
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.FunctionDef) or node.name in helpers:
                continue
            if any(_atomic(d) for d in node.decorator_list):
                continue
            wrong += [f"{path.relative_to(ROOT.parent)}:{line} {node.name}() calls {name}"
                      for line, name in _calls_outside_atomic(node, lockers)]  # fmt: skip
    assert wrong == [], "lock rows inside transaction.atomic:\n" + "\n".join(wrong)


def test_the_check_sees_a_slipped_decorator():
    source = (
        "@transaction.atomic\n"
        "def helper():\n    return 1\n\n"
        "def incident_update(incident):\n    return lock_incident(incident, 1)\n"
    )
    functions = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)]
    update = next(f for f in functions if f.name == "incident_update")
    assert _calls_outside_atomic(update, {"lock_incident"}) == [(6, "lock_incident")]
    inside = ast.parse(
        "def f(x):\n    with transaction.atomic():\n        return x.select_for_update()\n"
    ).body[0]
    assert isinstance(inside, ast.FunctionDef)
    assert _calls_outside_atomic(inside, {"select_for_update"}) == []
