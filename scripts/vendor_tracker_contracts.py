"""Vendor the parts of GitHub's published API descriptions that the tracker contract tests check against.

    .venv/bin/python scripts/vendor_tracker_contracts.py            # the pinned versions below
    .venv/bin/python scripts/vendor_tracker_contracts.py --latest   # the registry's newest, then run the tests

Fetches three npm packages with `npm pack` (the ordinary client; nothing is installed) and writes into
tests/incidents/integrations/contracts/:

- `github_rest.json`: from `@octokit/openapi` (GitHub's official OpenAPI 3.0 description of api.github.com,
  `generated/api.github.com.json`), the operations the GitHub adapter calls (`issues/list-for-repo`, `issues/create`,
  `issues/get`, `issues/update`: their parameters and request bodies; responses left out) and every
  component they refer to;
- `github_webhooks.json`: from `@octokit/webhooks-schemas` (JSON Schema draft-07, `schema.json`), the
  `issues` events the adapter accepts (closed, reopened, assigned, unassigned) and every definition they
  refer to;
- `github_webhook_examples.json`: from `@octokit/webhooks-examples` (`api.github.com/index.json`), the
  documented example payloads of those events (the package has none for `closed`).

Each file records its package, version and source file under `x-vendored`. The JSON is written sorted
and indented so a refresh reads as a diff. Jira Cloud's description (`swagger-v3.v3.json`) is published
by Atlassian on its developer site only, in no package of npm or PyPI: its shapes stay written out in
test_tracker_jira_contract.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess  # noqa: S404 - runs npm, a fixed command
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGES = {  # package -> the version vendored now
    "@octokit/openapi": "23.0.2",
    "@octokit/webhooks-schemas": "7.6.1",
    "@octokit/webhooks-examples": "7.6.1",
}
OPERATIONS = [  # (path, method) the GitHub adapter sends
    ("/repos/{owner}/{repo}/issues", "get"),  # to find an issue an unanswered create may have opened
    ("/repos/{owner}/{repo}/issues", "post"),
    ("/repos/{owner}/{repo}/issues/{issue_number}", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}", "patch"),
]
EVENTS = ["closed", "reopened", "assigned", "unassigned"]  # the `issues` actions the adapter reads
OUT = Path(__file__).resolve().parent.parent / "tests" / "incidents" / "integrations" / "contracts"


def fetch(package: str, version: str, into: Path) -> tuple[Path, str]:
    """`npm pack` the package into `into` and unpack it; (its folder, the version fetched)."""
    spec = f"{package}@{version}" if version else package
    answer = subprocess.run(  # noqa: S603, S607 - npm from PATH, fixed arguments
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        check=True, capture_output=True, text=True, cwd=into,
    )  # fmt: skip
    packed = json.loads(answer.stdout)[0]
    folder = into / packed["name"].replace("/", "__")
    with tarfile.open(into / packed["filename"]) as tar:
        tar.extractall(folder, filter="data")
    return folder / "package", packed["version"]


def refs(node: Any) -> set[str]:
    """Every `$ref` string in a JSON value."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def closure(document: dict[str, Any], start: Any) -> dict[str, Any]:
    """The parts of `document` that `start` refers to, directly or not, as {json pointer: value}."""
    seen: dict[str, Any] = {}
    todo = sorted(refs(start))
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        if not ref.startswith("#/"):
            raise SystemExit(f"an outside reference {ref}: vendor it by hand")
        node: Any = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen[ref] = node
        todo.extend(sorted(refs(node) - set(seen)))
    return seen


def place(target: dict[str, Any], pointer: str, value: Any) -> None:
    """Put `value` at `pointer` (`#/components/schemas/issue`) in `target`."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[2:].split("/")]
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def write(name: str, document: dict[str, Any]) -> None:
    path = OUT / name
    path.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"{path.relative_to(OUT.parent.parent.parent.parent)}: {path.stat().st_size:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latest", action="store_true", help="take the newest versions, not the pinned ones")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        folders = {}
        for package, version in PACKAGES.items():
            folders[package] = fetch(package, "" if args.latest else version, work)

        rest_folder, rest_version = folders["@octokit/openapi"]
        rest = json.loads((rest_folder / "generated" / "api.github.com.json").read_text())
        paths: dict[str, Any] = {}
        for path, method in OPERATIONS:
            operation = dict(rest["paths"][path][method])
            operation.pop("responses", None)  # what Hindsight sends is checked, not GitHub's answers
            operation.pop("x-github", None)
            paths.setdefault(path, {})[method] = operation
        vendored: dict[str, Any] = {
            "openapi": rest["openapi"], "info": rest["info"], "servers": rest.get("servers", []), "paths": paths,
            "x-vendored": {"package": "@octokit/openapi", "version": rest_version,
                           "file": "generated/api.github.com.json",
                           "parts": [f"{m.upper()} {p}" for p, m in OPERATIONS] + ["the components they refer to"]},
        }  # fmt: skip
        for pointer, value in sorted(closure(rest, paths).items()):
            place(vendored, pointer, value)
        write("github_rest.json", vendored)

        hooks_folder, hooks_version = folders["@octokit/webhooks-schemas"]
        hooks = json.loads((hooks_folder / "schema.json").read_text())
        start = {f"issues${e}": {"$ref": f"#/definitions/issues${e}"} for e in EVENTS}
        schemas: dict[str, Any] = {
            "$schema": hooks["$schema"],
            "x-vendored": {"package": "@octokit/webhooks-schemas", "version": hooks_version, "file": "schema.json",
                           "parts": [f"definitions/issues${e}" for e in EVENTS] + ["the definitions they refer to"]},
        }  # fmt: skip
        for pointer, value in sorted(closure(hooks, start).items()):
            place(schemas, pointer, value)
        write("github_webhooks.json", schemas)

        examples_folder, examples_version = folders["@octokit/webhooks-examples"]
        events = json.loads((examples_folder / "api.github.com" / "index.json").read_text())
        issues = next(e for e in events if e["name"] == "issues")
        write("github_webhook_examples.json", {
            "x-vendored": {"package": "@octokit/webhooks-examples", "version": examples_version,
                           "file": "api.github.com/index.json", "parts": [f"issues examples: {', '.join(EVENTS)}"]},
            "examples": [x for x in issues["examples"] if x.get("action") in EVENTS],
        })  # fmt: skip


if __name__ == "__main__":
    main()
