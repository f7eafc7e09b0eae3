"""Start the web server, a Celery worker and beat together; Ctrl-C stops all three.

Used by `make run`. Prints the URL and the demo sign-in once the web server answers.
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
    procs = [
        subprocess.Popen(
            # --insecure: serve static files without DEBUG (a local development server only).
            [py, "manage.py", "runserver", f"127.0.0.1:{args.port}", "--noreload", "--insecure"],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen(
            [
                py,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--pool=threads",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen([py, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"], cwd=ROOT, env=env),
    ]
    url = f"http://127.0.0.1:{args.port}/"
    for _ in range(60):
        try:
            urllib.request.urlopen(url + "accounts/login/", timeout=1)  # noqa: S310 - our own local server
            break
        except OSError:
            time.sleep(0.5)
    print(
        f"\n  Hindsight is running at {url}\n"
        "  Sign in as commander@example.com with password  hindsight-demo\n"
        "  (admin: admin@example.com, same password). Emails are written to var/mail/.\n"
        "  Ctrl-C stops the web server, the worker and beat.\n",
        flush=True,
    )

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
