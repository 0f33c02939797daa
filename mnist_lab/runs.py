"""One folder per training run: config.json, status.json, metrics.jsonl, checkpoint.pt.

Every file that a reader may see half-written is written to a temporary name and renamed, except
metrics.jsonl, which is append-only and read tolerantly (a half-written last line is skipped).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LabError, Message
from .files import atomic_write_json, read_jsonl
from .settings import settings

STATES = ("queued", "running", "done", "stopped", "failed", "interrupted")
ACTIVE = ("queued", "running")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_KEEP: str = "\0keep"  # set_status without a reason keeps the one status.json has


class RunNotFound(LabError, KeyError):
    """No run folder with that id."""


class RunActive(LabError, ValueError):
    """The run is queued or training: stop it before deleting it."""


class BadRunId(LabError, ValueError):
    """An id that is not a run's name and could reach outside the runs folder."""


def default_runs_dir() -> Path:
    return settings().runs


def is_run_id(text) -> bool:
    """A name that stays inside the runs folder (not '../x', '/abs' or 'a/b')."""
    return isinstance(text, str) and bool(RUN_ID.match(text)) and ".." not in text


def check_run_id(run_id: str) -> str:
    """Refuse ids that could reach outside the runs folder."""
    if not is_run_id(run_id):
        raise BadRunId("error.run.bad_id", run=repr(run_id))
    return run_id


def pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited: it only waits for its parent to read its status
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                return True
    except (OSError, IndexError):
        return True
    # A killed process's main thread turns zombie before its other threads have gone, and until they
    # have, its files (a training slot's lock among them) are still open: it has not ended yet.
    try:
        return len(os.listdir(f"/proc/{pid}/task")) > 1
    except OSError:
        return False


def _clean_status(st: dict) -> dict:
    """Drop status fields of the wrong type (a hand-edited file), so readers can format them."""
    for key in ("test_accuracy", "created", "started", "ended", "updated"):
        if key in st and (isinstance(st[key], bool) or not isinstance(st[key], (int, float))):
            del st[key]
    for key in ("reason", "device_name", "student"):
        if st.get(key) is not None and not isinstance(st[key], str):
            st[key] = str(st[key])
    return st


STUDENT_MAX = 40
# characters that reorder or hide the text around a name (bidi overrides and isolates, zero-width
# marks); right-to-left letters themselves are kept
_HIDDEN = {
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    0xFEFF,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
}


def student_name(text: str | None) -> str:
    """A student's name as the app keeps it: one line of plain text, at most STUDENT_MAX characters.

    Control and bidi-override characters go, runs of spaces become one; LabError if nothing is left.
    Pages show it as text (never as HTML or markdown).
    """
    import unicodedata

    spaced = (" " if c.isspace() else c for c in str(text or ""))
    kept = "".join(c for c in spaced if ord(c) not in _HIDDEN and unicodedata.category(c) not in ("Cc", "Cf", "Co"))
    name = " ".join(kept.split())[:STUDENT_MAX].strip()
    if not name:
        raise LabError("error.student.empty")
    return name


@dataclass
class RunInfo:
    run_id: str
    model: str
    preset: str
    status: str
    reason: str | None
    test_accuracy: float | None
    created: float | None
    started: float | None
    ended: float | None
    device: str | None
    epochs: int | None
    student: str | None = None
    config: dict = field(default_factory=dict)
    # a class_digits run: the held-out writers' accuracy after and before, and MNIST's before
    class_accuracy: float | None = None
    class_accuracy_before: float | None = None
    test_accuracy_before: float | None = None

    @property
    def duration_s(self) -> float | None:
        if not self.started:
            return None
        return (self.ended or time.time()) - self.started


class Run:
    """A run's folder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.run_id = self.path.name

    config_path = property(lambda self: self.path / "config.json")
    status_path = property(lambda self: self.path / "status.json")
    metrics_path = property(lambda self: self.path / "metrics.jsonl")
    stop_path = property(lambda self: self.path / "STOP")
    log_path = property(lambda self: self.path / "log.txt")

    def checkpoint_path(self) -> Path:
        return self.path / "checkpoint.pt"

    def config(self) -> dict:
        try:
            cfg = json.loads(self.config_path.read_text())
            return cfg if isinstance(cfg, dict) else {}
        except (OSError, ValueError):
            return {}

    def status(self) -> dict:
        """The run's status; a missing or damaged status.json reads as 'interrupted', never as an error."""
        try:
            st = json.loads(self.status_path.read_text())
            if isinstance(st, dict) and st.get("state") in STATES:
                return _clean_status(st)
        except (OSError, ValueError):
            pass
        return {"state": "interrupted", **Message("reason.status_damaged").status_fields()}

    def set_status(self, state: str, reason: str | Message | None = _KEEP, **fields) -> dict:
        """Write status.json; a reason given as a Message keeps its key, so pages can translate it."""
        if reason is _KEEP:
            said = {}
        elif isinstance(reason, Message):
            said = reason.status_fields()
        else:
            said = {"reason": reason, "reason_key": None, "reason_params": None}
        st = {**self.status(), **fields, **said, "state": state, "updated": time.time()}
        if state not in ACTIVE:
            st.setdefault("ended", time.time())
        else:
            st.pop("ended", None)
        atomic_write_json(self.status_path, st)
        return st

    def metrics(self, offset: int = 0) -> tuple[list[dict], int]:
        return read_jsonl(self.metrics_path, offset)

    def request_stop(self) -> None:
        self.stop_path.touch()

    def stop_requested(self) -> bool:
        return self.stop_path.exists()

    def reconcile(self) -> dict:
        """Mark a queued/running run whose process is gone as interrupted; return the status."""
        st = self.status()
        if st["state"] == "queued" and st.get("pid") is None:
            # waiting in the queue owns no process; a queued run without its ticket was lost
            # (its folder copied in by hand, say): after a grace period for the ticket to be written.
            # A worker claiming it marks it running before it removes the ticket, so the status is
            # read again once the ticket is seen gone: a run being claimed is never called lost.
            if self.ticket() is None and time.time() - st.get("updated", 0) > 10:
                st = self.status()
                if st["state"] == "queued" and st.get("pid") is None:
                    st = self.set_status("interrupted", reason=Message("reason.not_in_queue"))
        elif st["state"] in ACTIVE and not pid_alive(st.get("pid")):
            # read again: a worker writes the run's end before it exits, so a process found gone may
            # have finished the run between the first read and the check
            again = self.status()
            if again["state"] in ACTIVE and again.get("pid") == st.get("pid"):
                kept = "_kept" if self.checkpoint_path().exists() else ""
                again = self.set_status("interrupted", reason=Message(f"reason.process_gone{kept}"))
            st = again
        return st

    def ticket(self) -> Path | None:
        """Its ticket in the queue (runs/.queue/<created ns>-<run id>), while it waits for a worker."""
        return next(iter(self.path.parent.glob(f".queue/*-{self.run_id}")), None)

    def info(self) -> RunInfo:
        cfg, st = self.config(), self.reconcile()
        return RunInfo(
            self.run_id,
            cfg.get("model", "?"),
            cfg.get("preset", "?"),
            st["state"],
            st.get("reason"),
            st.get("test_accuracy"),
            st.get("created"),
            st.get("started"),
            st.get("ended"),
            st.get("device_name"),
            cfg.get("epochs"),
            st.get("student"),
            cfg,
            st.get("class_accuracy"),
            st.get("class_accuracy_before"),
            st.get("test_accuracy_before"),
        )


class RunStore:
    """The runs folder."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else default_runs_dir()

    def create(self, config: dict, student: str | None = None) -> Run:
        self.root.mkdir(parents=True, exist_ok=True)
        # a class pressing Start in the same second can draw the same 4-hex suffix: mkdir is the
        # arbiter, and the loser draws again
        for _ in range(100):
            run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{config.get('model', 'run')}-{secrets.token_hex(2)}"
            run = Run(self.root / check_run_id(run_id))
            try:
                run.path.mkdir()
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"no free run id in {self.root}")
        now = time.time()
        # status first: a folder counts as a run once config.json is there, and a reader that
        # lists the runs at that moment must find its status, not "missing or damaged"
        atomic_write_json(
            run.status_path,
            {
                "state": "queued",
                "reason": None,
                "created": now,
                "updated": now,
                "student": student_name(student) if student else None,
            },
        )
        atomic_write_json(run.config_path, config)
        return run

    def get(self, run_id: str) -> Run:
        path = self.root / check_run_id(run_id)
        if not (path / "config.json").is_file():
            raise RunNotFound("error.run.not_found", run=run_id)
        return Run(path)

    def delete(self, run_id: str) -> None:
        """Remove a run that has ended, folder and all. Its folder is renamed first, so a reader
        never finds half a run; a queued or training run is refused (RunActive)."""
        run = self.get(run_id)
        if run.reconcile()["state"] in ACTIVE:
            raise RunActive("error.run.active", run=run_id)
        trash = self.root / f".deleting-{run_id}-{os.getpid()}"
        os.replace(run.path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def list(self) -> list[RunInfo]:
        """Every run, newest first."""
        if not self.root.is_dir():
            return []
        runs = [
            Run(p) for p in self.root.iterdir() if p.is_dir() and RUN_ID.match(p.name) and (p / "config.json").is_file()
        ]
        return sorted((r.info() for r in runs), key=lambda i: (i.created or 0, i.run_id), reverse=True)
