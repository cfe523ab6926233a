"""`linli serve`'s access log: Open311's api_key in a URL is logged as its recognition prefix, never whole."""

from __future__ import annotations

import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.processes import start_serve, wait_until_listening


def test_the_access_log_masks_api_keys_in_urls_and_referers(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    proc, port = start_serve(tmp_path, LINLI_TICK_SECONDS="0", LINLI_ACCESS_LOG=str(log))
    token = "linli_" + "Q7x_-Z" * 7 + "k"  # the shape of a real token; whether it is valid does not matter
    try:
        wait_until_listening(proc, timeout=60)
        # Bound means connections queue until a worker has booted: one request, a generous timeout.
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=60).close()  # noqa: S310
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/open311/v2/requests.json?api_key={token}&status=open",
            headers={"Referer": f"http://127.0.0.1:{port}/somewhere?api_key={token}"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310  (an http:// URL built above)
        assert refused.value.code == 403  # an unknown key
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "open311" not in (log.read_text() if log.exists() else ""):
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    text = log.read_text()
    line = next(line for line in text.splitlines() if "open311" in line)
    assert token not in text
    assert "api_key=linli_Q7x_-Z***&status=open" in line
