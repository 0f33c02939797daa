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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported only where checkpoints are read or written, so that a queued
    import torch   # run's process (which imports this module) stays small until it may train

STATES = ("queued", "running", "done", "stopped", "failed", "interrupted")
ACTIVE = ("queued", "running")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
ASSETS = Path(__file__).parent / "assets"


class RunNotFound(KeyError):
    """No run folder with that id."""

    def __str__(self) -> str:
        return f"no run named {self.args[0]!r}"


class RunActive(ValueError):
    """The run is queued or training: stop it before deleting it."""

    def __str__(self) -> str:
        return f"run {self.args[0]!r} is queued or training: stop it first"


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded; the message is one plain line."""


def default_runs_dir() -> Path:
    return Path(os.environ.get("MNIST_LAB_RUNS", "runs"))


def default_checkpoint() -> Path:
    """The model shipped with the package, used until the user picks a run of their own."""
    return ASSETS / "default_model.pt"


def check_run_id(run_id: str) -> str:
    """Refuse ids that could reach outside the runs folder ('../x', '/abs', 'a/b')."""
    if not isinstance(run_id, str) or not _ID_RE.match(run_id) or ".." in run_id:
        raise ValueError(f"invalid run id {run_id!r}: use letters, digits, '-', '_' and '.' only")
    return run_id


def atomic_write(path: Path, write) -> None:
    """write(fh) into a temporary file, then rename it over path: a reader never sees half a file,
    and a failed write leaves the previous file as it was."""
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
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _clean_status(st: dict) -> dict:
    """Drop status fields of the wrong type (a hand-edited file), so readers can format them."""
    for key in ("test_accuracy", "created", "started", "ended", "updated"):
        if key in st and (isinstance(st[key], bool) or not isinstance(st[key], (int, float))):
            del st[key]
    for key in ("reason", "device_name"):
        if st.get(key) is not None and not isinstance(st[key], str):
            st[key] = str(st[key])
    return st


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
        return {"state": "interrupted", "reason": "status.json is missing or damaged"}

    def set_status(self, state: str, **fields) -> dict:
        st = {**self.status(), **fields, "state": state, "updated": time.time()}
        if state not in ACTIVE:
            st.setdefault("ended", time.time())
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
        if st["state"] in ACTIVE and not pid_alive(st.get("pid")):
            # a run just created by the app has no pid for a moment: give that a grace period
            if st.get("pid") is not None or time.time() - st.get("updated", 0) > 10:
                has_ckpt = self.checkpoint_path().exists()
                reason = ("the training process ended unexpectedly (killed, crashed or the machine "
                          "restarted)" + ("; the last saved checkpoint is kept" if has_ckpt else ""))
                st = self.set_status("interrupted", reason=reason)
        return st

    def info(self) -> RunInfo:
        cfg, st = self.config(), self.reconcile()
        return RunInfo(self.run_id, cfg.get("model", "?"), cfg.get("preset", "?"), st["state"],
                       st.get("reason"), st.get("test_accuracy"), st.get("created"), st.get("started"),
                       st.get("ended"), st.get("device_name"), cfg.get("epochs"))


class RunStore:
    """The runs folder."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else default_runs_dir()

    def create(self, config: dict) -> Run:
        self.root.mkdir(parents=True, exist_ok=True)
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{config.get('model', 'run')}-{secrets.token_hex(2)}"
        run = Run(self.root / check_run_id(run_id))
        run.path.mkdir()
        now = time.time()
        # status first: a folder counts as a run once config.json is there, and a reader that
        # lists the runs at that moment must find its status, not "missing or damaged"
        atomic_write_json(run.status_path, {"state": "queued", "reason": None, "created": now, "updated": now})
        atomic_write_json(run.config_path, config)
        return run

    def get(self, run_id: str) -> Run:
        path = self.root / check_run_id(run_id)
        if not (path / "config.json").is_file():
            raise RunNotFound(run_id)
        return Run(path)

    def delete(self, run_id: str) -> None:
        """Remove a run that has ended, folder and all. Its folder is renamed first, so a reader
        never finds half a run; a queued or training run is refused (RunActive)."""
        run = self.get(run_id)
        if run.reconcile()["state"] in ACTIVE:
            raise RunActive(run_id)
        trash = self.root / f".deleting-{run_id}-{os.getpid()}"
        os.replace(run.path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def list(self) -> list[RunInfo]:
        """Every run, newest first."""
        if not self.root.is_dir():
            return []
        runs = [Run(p) for p in self.root.iterdir()
                if p.is_dir() and _ID_RE.match(p.name) and (p / "config.json").is_file()]
        return sorted((r.info() for r in runs), key=lambda i: (i.created or 0, i.run_id), reverse=True)


# ---------------------------------------------------------------- checkpoints

def save_checkpoint(path: Path, model: torch.nn.Module, meta: dict) -> None:
    """Write state_dict + meta to a temporary file, then rename: a reader never sees half a file."""
    import torch
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(path, lambda fh: torch.save({"format": "mnist_lab/1", "state_dict": state, "meta": meta}, fh))


def load_model(path: str | os.PathLike) -> tuple[torch.nn.Module, dict]:
    """Rebuild a model from a checkpoint (weights_only: a file carrying code cannot run it)."""
    import torch

    from .models import MODELS, build_model
    path = Path(path)
    name = path.name
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{name}: no such checkpoint file") from None
    except Exception as e:
        kind = "it holds code or objects other than tensors" if "weights_only" in str(e) else "damaged or not a checkpoint"
        raise CheckpointError(f"{name}: refused to load ({kind})") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or not isinstance(ckpt.get("meta"), dict):
        raise CheckpointError(f"{name}: not an MNIST Lab checkpoint (no state_dict and meta)")
    meta = ckpt["meta"]
    if meta.get("model") not in MODELS:
        raise CheckpointError(f"{name}: unknown model {meta.get('model')!r}")
    model = build_model(meta["model"])
    try:
        model.load_state_dict(ckpt["state_dict"])
    except Exception:
        raise CheckpointError(f"{name}: its weights do not fit the {meta['model']} architecture") from None
    model.eval()
    return model, meta
