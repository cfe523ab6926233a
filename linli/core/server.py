"""The production server: gunicorn with threaded workers, started from `linli serve`, and beside it the
background processes — task workers and the deadline sweep — kept running by a supervisor."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
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


logger = logging.getLogger("linli.server")


def task_worker_command() -> list[str]:
    """The background-job worker (imports …), a child process of the server."""
    return [sys.executable, "-m", "linli.core.cli", "worker"]


def sweeper_command() -> list[str] | None:
    """The case deadline sweep (`linli tick --loop`), every LINLI_TICK_SECONDS; none if that is 0."""
    from django.conf import settings

    if settings.LINLI_TICK_SECONDS <= 0:
        return None
    return [sys.executable, "-m", "linli.core.cli", "tick", "--loop", str(settings.LINLI_TICK_SECONDS)]


class Supervisor:
    """Starts each command as a child process and starts it again whenever it exits — a worker that died
    on a database error, was killed by the OOM killer or by hand. One that keeps dying is restarted after
    a pause that doubles up to a minute (and is forgotten once it has run for a minute)."""

    POLL_SECONDS = 1.0
    MAX_PAUSE = 60.0

    def __init__(self, commands: list[list[str]]) -> None:
        self.commands = commands
        self.children: list[subprocess.Popen[bytes] | None] = [None] * len(commands)
        self.started = [0.0] * len(commands)
        self.pause = [1.0] * len(commands)
        self.due = [0.0] * len(commands)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="linli-supervisor", daemon=True)

    def start(self) -> None:
        for slot in range(len(self.commands)):
            self._spawn(slot)
        self.thread.start()

    def _spawn(self, slot: int) -> None:
        self.children[slot] = subprocess.Popen(self.commands[slot])  # noqa: S603  (our own module)
        self.started[slot] = time.monotonic()

    def _watch(self) -> None:
        while not self.stopping.wait(self.POLL_SECONDS):
            for slot, child in enumerate(self.children):
                if child is None or child.poll() is None or self.stopping.is_set():
                    continue
                now = time.monotonic()
                if not self.due[slot]:
                    lived = now - self.started[slot]
                    self.pause[slot] = (
                        1.0 if lived > self.MAX_PAUSE else min(self.MAX_PAUSE, self.pause[slot] * 2)
                    )
                    self.due[slot] = now + (0 if lived > self.MAX_PAUSE else self.pause[slot])
                    logger.warning(
                        "%s exited (code %s) after %.0f s; starting it again in %.0f s",
                        " ".join(self.commands[slot][2:]),
                        child.returncode,
                        lived,
                        self.due[slot] - now,
                    )
                if now >= self.due[slot]:
                    self.due[slot] = 0.0
                    self._spawn(slot)

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)  # so it cannot start a child after the ones below are stopped
        for child in self.children:
            if child is not None and child.poll() is None:
                child.terminate()
        for child in self.children:
            if child is not None:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()


def background_commands() -> list[list[str]]:
    """What `serve` keeps running: LINLI_TASK_WORKERS workers (so one long import does not hold up the
    others) and the sweep."""
    from django.conf import settings

    commands = [task_worker_command() for _ in range(max(1, settings.LINLI_TASK_WORKERS))]
    if sweep := sweeper_command():
        commands.append(sweep)
    return commands


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
    supervisor = Supervisor(background_commands() if task_worker else [])
    supervisor.start()
    options["on_exit"] = lambda _server: supervisor.stop()
    print(
        f"Linli serving at http://{host}:{port}/ (workers={options['workers']}, threads={threads}); Ctrl-C stops"
    )
    _Gunicorn(options).run()
