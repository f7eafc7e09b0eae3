"""Settings for the Celery worker and beat started by test_notifications_celery.py.

Everything else comes from the environment the test sets (broker, database, SMTP port, short sweep,
lease and retry intervals). The key prefix keeps this run's queues apart from anything else on Redis.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "global_keyprefix": os.environ["HS_IT_PREFIX"],
    "visibility_timeout": 30,
}
