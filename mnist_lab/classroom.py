"""The class as a whole: the board of every run, the teacher's password, archiving a lesson."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .runs import ACTIVE, RunInfo, RunStore
from .settings import settings

# the hyperparameters the board compares (config keys), in the order a class discusses them
KNOBS = ("model", "optimizer", "lr", "batch_size", "epochs", "augment")


@dataclass
class BoardRow:
    run_id: str
    student: str
    model: str
    optimizer: str | None
    lr: float | None
    batch_size: int | None
    epochs: int | None
    augment: bool
    accuracy: float | None
    seconds: float | None
    state: str
    best: bool = False  # the best finished run of its model
    # a class_digits run: the class's held-out writers read by the model before it and after it
    class_before: float | None = None
    class_after: float | None = None


def board(infos: list[RunInfo]) -> list[BoardRow]:
    """One row per run, newest first, with the best finished run of each model marked."""
    rows = []
    for i in infos:
        c = i.config
        rows.append(
            BoardRow(
                i.run_id,
                i.student or "",
                i.model,
                c.get("optimizer"),
                _num(c.get("lr")),
                _int(c.get("batch_size")),
                _int(c.get("epochs")),
                bool(c.get("augment")),
                i.test_accuracy if i.status == "done" else None,
                i.duration_s,
                i.status,
                class_before=i.class_accuracy_before,
                class_after=i.class_accuracy if i.status == "done" else None,
            )
        )
    best: dict[str, BoardRow] = {}
    for r in rows:
        if r.accuracy is not None and (r.model not in best or r.accuracy > best[r.model].accuracy):
            best[r.model] = r
    for r in best.values():
        r.best = True
    return rows


def before_after(before: float | None, after: float | None) -> str | None:
    """'95.0% → 97.0%' for a run that taught the class's digits; None for the others."""
    if before is None:
        return None
    return f"{before:.1%} → " + ("…" if after is None else f"{after:.1%}")


def _num(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _int(v) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def counts(infos: list[RunInfo]) -> dict[str, int]:
    """How many runs are in each state (the board's summary line)."""
    out: dict[str, int] = {}
    for i in infos:
        out[i.status] = out.get(i.status, 0) + 1
    return out


def busy(infos: list[RunInfo]) -> bool:
    """Whether a run waits or trains (the board then looks again sooner)."""
    return any(i.status in ACTIVE for i in infos)


def finished(rows: list[BoardRow]) -> list[BoardRow]:
    """The rows with a test accuracy: the runs that are done."""
    return [r for r in rows if r.accuracy is not None]


# ---------------------------------------------------------------- the teacher's password


def teacher_password(secrets: dict | None = None) -> str | None:
    """The teacher's password: `teacher_password` in .streamlit/secrets.toml, else $MNIST_LAB_TEACHER_PASSWORD.
    None when neither is set (the Teacher page then only says how to set one)."""
    value = (secrets or {}).get("teacher_password") or settings().teacher_password
    return str(value) if value else None


def password_ok(given: str, expected: str) -> bool:
    """Compare in constant time: both sides hashed to the same length, then hmac.compare_digest, so the
    time taken says nothing about how much of a guess was right, nor how long the password is."""
    a = hashlib.sha256(str(given).encode()).digest()
    b = hashlib.sha256(str(expected).encode()).digest()
    return hmac.compare_digest(a, b)


class Throttle:
    """A growing delay after wrong passwords, shared by every session of the server: guessing gets slow,
    yet the teacher is never locked out (the delay is capped, and a right password resets it)."""

    def __init__(self, first: float = 0.5, cap: float = 4.0):
        self.first, self.cap = first, cap
        self.failures = 0
        self.lock = threading.Lock()

    def failed(self) -> float:
        """Count a wrong password; the seconds to wait before answering."""
        with self.lock:
            self.failures += 1
            return min(self.cap, self.first * 2 ** (self.failures - 1))

    def succeeded(self) -> None:
        with self.lock:
            self.failures = 0

    def check(self, given: str, expected: str) -> bool:
        """Whether the password is right; a wrong one is answered only after the delay, which grows."""
        if password_ok(given, expected):
            self.succeeded()
            return True
        time.sleep(self.failed())
        return False


# ---------------------------------------------------------------- archiving a lesson


def archive(store: RunStore, when: float | None = None) -> tuple[Path, int]:
    """Move every run that has ended into runs/.archive/<date-time>/ (never deleted; runs still
    queued or training stay on the board). Returns the folder and how many runs moved."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if when is None else when))
    folder = store.root / ".archive" / stamp
    moved = 0
    for info in store.list():
        if info.status in ACTIVE:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(store.root / info.run_id, folder / info.run_id)
        except FileNotFoundError:  # deleted, or archived by another click, since the listing
            continue
        moved += 1
    return folder, moved


def archives(store: RunStore) -> list[tuple[str, int]]:
    """Archived lessons, newest first: (folder name, runs in it)."""
    root = store.root / ".archive"
    if not root.is_dir():
        return []
    return [
        (d.name, sum(1 for r in d.iterdir() if (r / "config.json").is_file()))
        for d in sorted(root.iterdir(), reverse=True)
        if d.is_dir()
    ]
