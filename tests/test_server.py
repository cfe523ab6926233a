"""`linli serve`: the production server answers real HTTP on loopback."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path

from tests.processes import descendant_commands, start_serve, wait_until_listening


def test_serve_runs_gunicorn_and_answers_health_and_pages(tmp_path: Path):
    proc, port = start_serve(tmp_path, LINLI_TICK_SECONDS="1")
    try:
        wait_until_listening(proc, timeout=60)
        # Bound means connections queue until a worker has booted: one request, a generous timeout.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=60) as response:
            body = json.loads(response.read())
            server = response.headers["Server"]
        assert body == {"status": "ok", "database": "ok", "version": body["version"]}
        # The background-job worker and the deadline sweep run beside the server.
        children = descendant_commands(proc.pid)
        assert any(" worker" in c for c in children), children
        assert any("tick --loop 1" in c for c in children), children
        assert "gunicorn" in server
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
            page = response.read().decode()
            assert "登录" in page
            assert "Content-Security-Policy" in response.headers
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/linli/vendor/htmx-2.0.11.min.js", timeout=5
        ) as r:
            assert r.status == 200
            assert b"htmx" in r.read(200)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
