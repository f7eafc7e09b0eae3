"""The CI dependency audit: fail on a known vulnerability, warn (not pass silently) when it could not audit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import audit_dependencies  # noqa: E402


def _fake(monkeypatch, stdout: str, returncode: int = 0, stderr: str = "") -> None:
    def run(*args, **kwargs):
        return subprocess.CompletedProcess(args, returncode, stdout=stdout, stderr=stderr)

    monkeypatch.setattr(audit_dependencies.subprocess, "run", run)


def _report(*deps) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


def test_a_known_vulnerability_fails_and_names_the_fix(monkeypatch, capsys):
    vuln = {"id": "GHSA-xxxx", "fix_versions": ["5.2.99"], "aliases": [], "description": ""}
    _fake(monkeypatch, _report({"name": "django", "version": "5.2.1", "vulns": [vuln]}), returncode=1)
    assert audit_dependencies.main([]) == 1
    assert "django 5.2.1: GHSA-xxxx (fixed in: 5.2.99)" in capsys.readouterr().out


def test_a_clean_audit_passes(monkeypatch, capsys):
    _fake(monkeypatch, _report({"name": "django", "version": "5.2.1", "vulns": []}))
    assert audit_dependencies.main([]) == 0
    assert "no known vulnerabilities in 1 audited" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("stdout", "stderr"),
    [
        (_report({"name": "django", "skip_reason": "Dependency not found on PyPI"}), ""),
        ("", "requests.exceptions.ConnectionError: Max retries exceeded with url: /v1/querybatch"),
    ],
    ids=["mirror-without-json-api", "offline"],
)
def test_an_audit_that_could_not_happen_warns_clearly_and_strict_fails(monkeypatch, capsys, stdout, stderr):
    _fake(monkeypatch, stdout, returncode=1 if stderr else 0, stderr=stderr)
    assert audit_dependencies.main([]) == 0
    assert "WARNING: dependency audit NOT done" in capsys.readouterr().err
    assert audit_dependencies.main(["--strict"]) == 1
