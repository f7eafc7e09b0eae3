"""Start the web server, a Celery worker and beat together; Ctrl-C (or SIGTERM) stops all three.

Used by `make run`. Prints the URL and the demo sign-in once the web server answers. If any of the
three exits on its own (a port already in use, a broken setting), the others are stopped too and the
exit code is non-zero, so a half-running Hindsight never looks healthy.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    py = sys.executable
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # Links in emails point at this server unless SITE_URL says otherwise.
    env.setdefault("SITE_URL", f"http://127.0.0.1:{args.port}")
    commands = {
        # gunicorn with threads (see config/wsgi_local.py for why not runserver); static files served too.
        "web server": [
            py, "-m", "gunicorn", "config.wsgi_local:application", "--bind", f"127.0.0.1:{args.port}",
            "--workers", "1", "--worker-class", "gthread", "--threads", "8", "--timeout", "300",
            "--access-logfile", "-",
        ],
        "worker": [
            py, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2", "--pool=threads",
        ],
        "beat": [py, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
    }  # fmt: skip
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}

    def stop() -> None:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    def on_sigterm(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    url = f"http://127.0.0.1:{args.port}/"
    try:
        for _ in range(120):
            if procs["web server"].poll() is not None:
                break
            try:
                urllib.request.urlopen(url + "accounts/login/", timeout=1)  # noqa: S310 - our own local server
            except OSError:
                time.sleep(0.5)
            else:
                print(
                    f"\n  Hindsight is running at {url}\n"
                    "  Sign in as commander@example.com with password  hindsight-demo\n"
                    "  (admin: admin@example.com, same password). Emails are written to var/mail/.\n"
                    "  Ctrl-C stops the web server, the worker and beat.\n",
                    flush=True,
                )
                break
        while True:
            ended = [name for name, p in procs.items() if p.poll() is not None]
            if ended:
                codes = ", ".join(f"{n} (exit code {procs[n].returncode})" for n in ended)
                print(f"\n  Stopped: {codes}. Stopping the rest.\n", file=sys.stderr, flush=True)
                stop()
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        stop()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
