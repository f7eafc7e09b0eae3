"""The WSGI application `make run` serves: Hindsight plus its static files, for one machine.

`scripts/run_all.py` runs it under gunicorn (threads, a listen backlog of 2048) rather than Django's
development server, whose listen queue of 10 reset connections when 30 responders posted at once and whose
thread-per-request model left a database connection open per finished request on PostgreSQL (100 idle
connections, then 503 for everyone). Static files are served by Django's own static files handler, as
`runserver --insecure` does; a production deployment serves them from `collectstatic` instead.
"""

import os

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = StaticFilesHandler(get_wsgi_application())
