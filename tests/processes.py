"""Looking at the processes a test started (Linux /proc), for tests of `linli serve` and its workers."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# `linli init` on an empty SQLite database applies every migration (~25 s of CPU, most of it Django rendering
# migration states): 2 minutes on a busy 2-core machine. The tests that start a server need a migrated
# database, not to watch it being made each time: the first one runs `init` into a template directory, the
# others copy it. `init` itself is what test_cli and test_deploy test. The timeout only guards against a hang.
INIT_TIMEOUT = 600
_template: Path | None = None


def _init_into(var_dir: Path, env: dict[str, str], linli: str) -> None:
    global _template  # noqa: PLW0603  (one template per test process)
    if "LINLI_STATIC_ROOT" in env:  # collecting static files is part of what such a test looks at
        subprocess.run([linli, "init"], env=env, check=True, capture_output=True, timeout=INIT_TIMEOUT)
        return
    if _template is None:
        template = Path(tempfile.mkdtemp(prefix="linli-init-template-"))
        atexit.register(shutil.rmtree, template, ignore_errors=True)
        subprocess.run(
            [linli, "init"],
            env={**env, "LINLI_VAR_DIR": str(template)},
            check=True,
            capture_output=True,
            timeout=INIT_TIMEOUT,
        )
        _template = template
    shutil.copytree(_template, var_dir, dirs_exist_ok=True)


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> dict[int, str]:
    """pid → command line of the processes directly below `pid`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def descendant_commands(pid: int) -> list[str]:
    """Command lines of every process below `pid`, children first."""
    found: list[str] = []
    for child, cmdline in children(pid).items():
        found.append(cmdline)
        found.extend(descendant_commands(child))
    return found


def wait_until_listening(proc: subprocess.Popen, timeout: float) -> None:
    """Wait until gunicorn says it has bound its socket (no polling, no fixed sleep). A thread reads the
    server's log to its end, so the pipe never fills and blocks the server."""
    assert proc.stdout is not None
    stdout = proc.stdout
    seen: list[str] = []
    listening = threading.Event()

    def read() -> None:
        for line in stdout:
            seen.append(line)
            if "Listening at:" in line:
                listening.set()
        listening.set()  # the server exited: stop waiting, the check below says so

    threading.Thread(target=read, daemon=True).start()
    assert listening.wait(timeout), "".join(seen)
    assert any("Listening at:" in line for line in seen), "".join(seen)


def start_serve(var_dir: Path, *, log: bool = True, **settings: str) -> tuple[subprocess.Popen, int]:
    """`linli init` (or a copy of a database it made) then `linli serve` (one web worker) on a free loopback port, in `var_dir` on SQLite, with
    `settings` as extra environment. With `log`, the server's log is a text pipe (for
    `wait_until_listening`); without, it is discarded. The caller stops the server."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"LINLI_VAR_DIR": str(var_dir), **settings}
    linli = str(Path(sys.executable).with_name("linli"))
    _init_into(var_dir, env, linli)
    port = free_port()
    proc = subprocess.Popen(
        [linli, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE if log else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        text=True,
    )
    return proc, port
