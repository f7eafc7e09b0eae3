"""Test overrides: fast hashing, local memory email, eager nothing."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests share one local-memory cache; throttle tests set their own rate (tests/incidents/api/test_tokens.py).
HINDSIGHT_API_THROTTLE_RATE = "100000/min"
# No outbound exception by default: a test with a local receiver adds its host:port to
# OUTBOUND_ALLOWED_TARGETS (the `outbound_allowed` fixture in tests/conftest.py).
