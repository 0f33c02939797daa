"""A run's metrics.jsonl: one JSON event per line (start, batch, epoch, end), written by the trainer
and read while it grows by the app, the CLI and the benchmarks."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .files import read_jsonl


class MetricsWriter:
    """Appends events; flushes at most every 0.25 s, and always on events other than batches."""

    def __init__(self, path: Path):
        self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 -- open for the run's whole life
        self.last = 0.0

    def __call__(self, ev: dict) -> None:
        self.fh.write(json.dumps(ev) + "\n")
        now = time.monotonic()
        if ev["type"] != "batch" or now - self.last > 0.25:
            self.fh.flush()
            self.last = now

    def close(self) -> None:
        self.fh.close()


class MetricsTail:
    """The events of one metrics.jsonl, read a little at a time: each read() takes only the lines
    added since the last (a half-written last line waits for the next read)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.events: list[dict] = []
        self.offset = 0
        self._latest: dict[str, dict] = {}  # type -> its newest event: a live page asks every half second

    def read(self) -> list[dict]:
        new, self.offset = read_jsonl(self.path, self.offset)
        self.events += new
        self._latest.update((e.get("type"), e) for e in new)
        return new

    def last(self, kind: str) -> dict | None:
        return self._latest.get(kind)


def of_type(events: list[dict], kind: str) -> list[dict]:
    """The events of one type ("start", "batch", "epoch", "end"), in order."""
    return [e for e in events if e.get("type") == kind]


def thin(events: list[dict], limit: int = 3000) -> list[dict]:
    """Every event but batches, and at most `limit` evenly spaced batch events (charts stay fast)."""
    batches = of_type(events, "batch")
    if len(batches) <= limit:
        return events
    step = -(-len(batches) // limit)
    dropped = {id(e) for e in batches} - {id(e) for e in batches[::step]} - {id(batches[-1])}
    return [e for e in events if id(e) not in dropped]
