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
# Test receivers listen on 127.0.0.1; tests of the refusal turn this off.
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
