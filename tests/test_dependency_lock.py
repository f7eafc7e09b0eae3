"""requirements.lock (what `make install` installs) covers pyproject.toml: each dependency pinned, hashed,
at a version its specifier allows. A dependency added or narrowed without `make lock` fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _locked() -> dict[str, tuple[Version, int]]:
    """{name: (version, number of hashes)} from the lock."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins: dict[str, tuple[Version, int]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s\\]+)", block)
        if match:
            pins[canonicalize_name(match[1])] = (Version(match[2]), block.count("--hash=sha256:"))
    return pins


def test_every_dependency_is_pinned_with_hashes_at_an_allowed_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    locked = _locked()
    assert len(locked) > len(wanted)  # the transitive dependencies are pinned too
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run make lock"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (name, str(version))
    assert all(hashes for _, hashes in locked.values()), [n for n, (_, h) in locked.items() if not h]


def test_weasyprint_is_pinned_at_a_release_whose_fetcher_api_the_pdf_export_uses():
    version, _ = _locked()["weasyprint"]
    assert Version("66") <= version < Version("71")
