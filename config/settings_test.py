"""Test overrides: fast hashing, local memory email, eager nothing."""

import os as _os

# Under pytest-xdist (`make test` runs one worker per core) each worker keeps its files (filesystem broker,
# mail, static files) in its own folder; pytest-django gives each its own test database (test_<name>_gw0...).
if _os.environ.get("PYTEST_XDIST_WORKER"):
    _os.environ["HINDSIGHT_VAR_DIR"] = _os.path.join(
        _os.environ.get("HINDSIGHT_VAR_DIR")
        or _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "var"),
        _os.environ["PYTEST_XDIST_WORKER"],
    )

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests share one local-memory cache per process (whatever REDIS_URL says); throttle tests set their own rate
# (tests/incidents/api/test_tokens.py).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hindsight-tests"}
}
HINDSIGHT_API_THROTTLE_RATE = "100000/min"
# Uploaded attachments go to a folder of this test process's own, removed by the OS's temp cleaning.
import tempfile as _media_tempfile  # noqa: E402

MEDIA_ROOT = _media_tempfile.mkdtemp(prefix="hindsight-media-")
# No outbound exception by default: a test with a local receiver adds its host:port to
# OUTBOUND_ALLOWED_TARGETS (the `outbound_allowed` fixture in tests/conftest.py).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's in-memory test database: for an in-memory database Django hands the test's one
    # connection to every live-server request thread, so concurrent requests (Alertmanager notifying three
    # groups at once) interleaved their transactions on it: 503 "database table is locked", and a request's
    # rollback could undo another's acknowledged writes. With a file each thread has its own connection,
    # WAL and IMMEDIATE transactions, as in production. One file per test process (parallel runs never share).
    import tempfile as _tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": _os.path.join(_tempfile.gettempdir(), f"hindsight-test-{_os.getpid()}.sqlite3")
    }
