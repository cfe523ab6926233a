"""The production layout (issue #24.4): `linli init` collects static files under hashed names, and nginx with
the repository's own config (deploy/nginx/linli.conf) serves them with a year's cache and proxies the rest to a
real `linli serve` over TLS. .ci/run installs Debian's nginx; elsewhere the nginx part is skipped."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.processes import free_port, start_serve, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    """Poll until something accepts connections on the port (nginx logs nothing when it is ready)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nothing listens on {port}")


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (http(s) to this test's servers)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`linli init` + `linli serve` with LINLI_STATIC_ROOT: static files collected under hashed names."""
    tmp = tmp_path_factory.mktemp("deploy")
    static_root = tmp / "static"
    proc, port = start_serve(tmp / "var", LINLI_STATIC_ROOT=str(static_root))
    try:
        wait_until_listening(proc, 120)
        yield port, static_root, tmp
    finally:
        proc.terminate()
        proc.wait(30)


def hashed_css(static_root: Path) -> str:
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    return manifest["linli/app.css"]


def test_init_collects_hashed_compressed_static_files_and_pages_name_them(served):
    port, static_root, _ = served
    css = hashed_css(static_root)
    assert re.fullmatch(r"linli/app\.[0-9a-f]{12}\.css", css)
    assert (static_root / css).is_file()
    assert (static_root / (css + ".gz")).is_file()
    status, _, body = get(f"http://127.0.0.1:{port}/accounts/login/")
    assert status == 200
    assert f"/static/{css}".encode() in body
    status, _, _ = get(f"http://127.0.0.1:{port}/static/{css}")
    assert status == 200  # without nginx in front Linli still serves them itself


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's nginx)")
def test_nginx_with_the_repository_config_caches_static_files_and_proxies_the_app(served):
    port, static_root, tmp = served
    assert NGINX is not None
    binary: str = NGINX
    http_port, https_port = free_port(), free_port()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (ROOT / "deploy/nginx/linli.conf").read_text()
    # The shipped file, pointed at this test's ports, certificate and directories — nothing else changed.
    for old, new in [
        ("server 127.0.0.1:8000", f"server 127.0.0.1:{port}"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/ssl/linli/fullchain.pem", str(tmp / "cert.pem")),
        ("/etc/ssl/linli/privkey.pem", str(tmp / "key.pem")),
        ("/srv/linli/static/", f"{static_root}/"),
    ]:
        assert old in site, old
        site = site.replace(old, new)
    (tmp / "linli.conf").write_text(site)
    prefix = tmp / "nginx"
    prefix.mkdir()
    (tmp / "nginx.conf").write_text(
        f"""
        {"user root;" if os.geteuid() == 0 else ""}
        pid {prefix}/nginx.pid;
        error_log {prefix}/error.log;
        events {{ worker_connections 64; }}
        http {{
            include /etc/nginx/mime.types;
            access_log {prefix}/access.log;
            client_body_temp_path {prefix}/body;
            proxy_temp_path {prefix}/proxy;
            fastcgi_temp_path {prefix}/fastcgi;
            uwsgi_temp_path {prefix}/uwsgi;
            scgi_temp_path {prefix}/scgi;
            include {tmp / "linli.conf"};
        }}
        """
    )
    checked = subprocess.run(
        [binary, "-t", "-p", str(prefix), "-c", str(tmp / "nginx.conf")], capture_output=True
    )
    assert checked.returncode == 0, checked.stderr.decode()
    nginx = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(https_port, nginx)
        css = hashed_css(static_root)
        status, headers, body = get(
            f"https://127.0.0.1:{https_port}/static/{css}", **{"Accept-Encoding": "gzip"}
        )
        assert status == 200
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers.get("Content-Encoding") == "gzip"  # the .gz collected beside it
        assert "gunicorn" not in headers.get("Server", "")  # nginx, not the app, served it
        status, _, body = get(f"https://127.0.0.1:{https_port}/api/v1/health")
        assert status == 200, body
        status, _, body = get(f"https://127.0.0.1:{https_port}/accounts/login/")
        assert status == 200
        assert f"/static/{css}".encode() in body
        status, headers, _ = get(f"http://127.0.0.1:{http_port}/accounts/login/")
        assert status == 301
        assert headers["Location"].startswith("https://")
    finally:
        nginx.terminate()
        nginx.wait(30)
