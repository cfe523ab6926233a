"""`linli serve`: the production server answers real HTTP on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.processes import descendant_commands, free_port, wait_until_listening


def test_serve_runs_gunicorn_and_answers_health_and_pages(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LINLI_VAR_DIR"] = str(tmp_path)
    env["LINLI_TICK_SECONDS"] = "1"
    linli = str(Path(sys.executable).with_name("linli"))
    subprocess.run([linli, "init"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    proc = subprocess.Popen(
        [linli, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
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
