"""Looking at the processes a test started (Linux /proc), for tests of `linli serve` and its workers."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path


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
