"""The production server: gunicorn with threaded workers, started from `linli serve`."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from linli.core.logmask import mask_secrets


class MaskingLogger(Logger):
    """gunicorn's logger with API tokens masked in every access-log field.

    The request line (`%(r)s`), the query string and the referer carry Open311's `api_key=` in full
    otherwise; headers are masked too, in case a format names `%({authorization}i)s`.
    """

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in list(atoms.items()):
            if isinstance(value, str):
                atoms[key] = mask_secrets(value)
        return atoms


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        if self.cfg is None:
            raise RuntimeError("gunicorn configuration missing")
        for key, value in self.options.items():
            self.cfg.set(key, value)

    @staticmethod
    def known_settings() -> set[str]:
        from gunicorn.config import KNOWN_SETTINGS

        return {s.name for s in KNOWN_SETTINGS}

    def load(self) -> Any:
        from linli.wsgi import application

        return application


def default_workers() -> int:
    # Threads carry the I/O wait; processes beyond the core count only add memory.
    return max(2, (os.cpu_count() or 1))


def start_task_worker() -> subprocess.Popen[bytes]:
    """The background-job worker (imports …) as a child process of the server."""
    return subprocess.Popen([sys.executable, "-m", "linli.core.cli", "worker"])  # noqa: S603  (our own module)


def start_sweeper() -> subprocess.Popen[bytes] | None:
    """The case deadline sweep (`linli tick --loop`), every LINLI_TICK_SECONDS; none if that is 0."""
    from django.conf import settings

    if settings.LINLI_TICK_SECONDS <= 0:
        return None
    command = [sys.executable, "-m", "linli.core.cli", "tick", "--loop", str(settings.LINLI_TICK_SECONDS)]
    return subprocess.Popen(command)  # noqa: S603  (our own module)


def serve(*, host: str, port: int, workers: int | None, threads: int, task_worker: bool = True) -> None:
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,
        "graceful_timeout": 20,
        # One line per request on stdout; LINLI_ACCESS_LOG=off turns it off (or names a file).
        "accesslog": None
        if os.environ.get("LINLI_ACCESS_LOG", "-") in ("", "off")
        else os.environ.get("LINLI_ACCESS_LOG", "-"),
        "errorlog": "-",
        "logger_class": "linli.core.server.MaskingLogger",
        "loglevel": os.environ.get("LINLI_LOG_LEVEL", "info").lower(),
        "preload_app": True,
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "proc_name": "linli",
    }
    # gunicorn ≥ 23.1 opens a runtime control socket in the home directory by default; two Linli
    # instances on one host would fight over it, and nothing of ours uses it.
    if "control_socket_disable" in _Gunicorn.known_settings():
        options["control_socket_disable"] = True
    children = [start_task_worker(), start_sweeper()] if task_worker else []

    def stop_background(_server: Any) -> None:
        for child in children:
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait(timeout=30)

    options["on_exit"] = stop_background
    print(
        f"Linli serving at http://{host}:{port}/ (workers={options['workers']}, threads={threads}); Ctrl-C stops"
    )
    _Gunicorn(options).run()
