"""gunicorn settings for `make serve` (``gunicorn -c factcheck/gunicorn.conf.py``).

Each can be overridden from the environment (GUNICORN_CMD_ARGS, or the variables
below). The errors gunicorn answers itself, before Django sees a request (a
request line over the limit, malformed headers), are JSON in the API's error shape.
"""

from __future__ import annotations

import json
import os

import gunicorn.util

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# A request that takes longer is cut off; PostgreSQL's statement timeout (30 s) comes first.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "40"))
graceful_timeout = 20
# The app refuses request targets over 4 KiB itself (JSON 414); gunicorn's own
# limit is the protocol's, and its refusals are JSON too (below).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
errorlog = "-"
wsgi_app = "factcheck.wsgi:application"
# Workers are recycled now and then, so no leak can grow without bound.
max_requests = 5000
max_requests_jitter = 500


def _json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error, answering the API's error shape instead of an HTML page
    (code: the reason, as ``uri_too_long``)."""
    # Imported here, in the worker, where the app (and the project on sys.path) is loaded.
    from core.errors import error_body

    code = reason.lower().replace(" ", "_").replace("-", "_")
    body = json.dumps(error_body(mesg or reason, code)).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    gunicorn.util.write_nonblock(sock, head + body)


gunicorn.util.write_error = _json_error


def post_worker_init(worker) -> None:
    """Once the app is loaded, move everything allocated so far out of the garbage
    collector's sight: it is never freed, and scanning it made some requests' full
    collections take tens of milliseconds."""
    import gc

    gc.freeze()
