"""Settings: every variable is documented, booleans are parsed strictly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "config" / "settings.py").read_text()
READ = re.compile(r"""(?:env(?:\.[a-z]+)?|env_bool|os\.environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def _variables() -> set[str]:
    return set(READ.findall(SETTINGS))


def test_settings_reads_variables():
    assert {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"} <= _variables()


def test_every_settings_variable_is_in_env_example():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    missing = _variables() - listed
    assert not missing, f"add these to .env.example: {sorted(missing)}"


def test_every_settings_variable_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    missing = {v for v in _variables() if v not in readme}
    assert not missing, f"add these to the README's variable table: {sorted(missing)}"


@pytest.mark.parametrize(("value", "ok"), [("true", True), ("0", True), ("ture", False)])
def test_a_mistyped_boolean_stops_start_up(value, ok, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": value, "HINDSIGHT_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode == 0) is ok, result.stderr
    if not ok:
        assert "DEBUG must be true or false" in result.stderr


def test_a_blank_database_url_means_the_default_database(tmp_path):
    # DATABASE_URL= (emptied in a shell or a CI step) used to stop every command with KeyError: 'ENGINE'
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "",
            "HINDSIGHT_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_sqlite_runs_with_wal_immediate_transactions_and_a_busy_timeout(tmp_path):
    # A real file database (the test database is in memory): several writers must queue, not fail.
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0])\n"
        "print(c.execute('PRAGMA busy_timeout').fetchone()[0])\n"
        "print(connection.settings_dict['OPTIONS']['transaction_mode'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "HINDSIGHT_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"]
    assert (tmp_path / "hindsight.sqlite3").exists()
