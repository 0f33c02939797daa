"""Writing files that another process may read at any moment, and reading JSON lines."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path


def atomic_write(path: Path, write) -> None:
    """write(fh) into a temporary file beside path, then rename it over path.

    A reader never sees half a file, a failed write leaves the previous file as it was, and
    fsync before the rename means a power cut leaves the old file or the new one, not an empty one.
    """
    path = Path(path)
    # unique per call: two threads of one server process may write the same file at once
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda fh: fh.write(data))


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=1).encode())


def read_jsonl(path: Path, offset: int = 0) -> tuple[list[dict], int]:
    """Events from a JSON-lines file from a byte offset; stops before an unfinished last line."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    events, pos = [], 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        line = data[pos:nl]
        pos = nl + 1
        try:
            ev = json.loads(line)
        except ValueError:
            continue  # a damaged line: skip it, keep the rest
        if isinstance(ev, dict):
            events.append(ev)
    return events, offset + pos
