"""The import's reading process (transfers/planner.py): `python -m linli.transfers.planner_child IN OUT`,
started by the writing process with two pipe descriptors. It starts Django for the models and settings,
then reads what to do from IN and sends the batches to OUT; it touches no database."""

from __future__ import annotations

import sys
import traceback
from multiprocessing.connection import Connection


def main(read_fd: int, write_fd: int) -> None:
    incoming, outgoing = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    try:
        import django

        django.setup()
    except BaseException as exc:  # noqa: BLE001  (reported to the writer, which fails the job with it)
        outgoing.send(("crash", traceback.format_exception_only(exc)[-1].strip()))
        return
    from linli.transfers.planner import read_in_child

    read_in_child(incoming, outgoing)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
