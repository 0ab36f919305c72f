"""The ingest process's gunicorn worker (Procfile: ingest).

uvicorn's own worker rewrites the client address from X-Forwarded-For for any peer in
gunicorn's `--forwarded-allow-ips` (127.0.0.1 by default), whatever config.yaml says. This
one leaves the peer alone, so the only rule is `proxies.trusted` (ingest/api/auth.py).
"""
from __future__ import annotations

from uvicorn.workers import UvicornWorker


class Worker(UvicornWorker):
    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "proxy_headers": False}
