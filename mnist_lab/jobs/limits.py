"""What may be started: a student's name, the per-session limit, and the caps the teacher sets."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import LabError
from ..files import atomic_write_json
from ..runs import ACTIVE, RunNotFound, RunStore, student_name
from ..settings import settings


class SubmitRefused(LabError):
    """A run that may not start now: no student's name, or a session's, a student's or the class's limit."""


def check_student(student: str | None, required: bool) -> str | None:
    """The student's name as runs keep it; SubmitRefused when one is required and none was given
    (a name of only spaces or hidden characters is refused by student_name)."""
    if student is None:
        if required:
            raise SubmitRefused("error.submit.no_student")
        return None
    return student_name(student)


def still_active(run_ids: Iterable[str], runs_dir=None) -> list[str]:
    """The runs among run_ids that are queued or training now (dead processes are not counted)."""
    store, out = RunStore(runs_dir), []
    for run_id in run_ids:
        try:
            if store.get(run_id).reconcile()["state"] in ACTIVE:
                out.append(run_id)
        except (RunNotFound, ValueError):
            continue
    return out


def check_session(run_ids: Iterable[str], runs_dir=None) -> None:
    """SubmitRefused when a session already has $MNIST_LAB_RUNS_PER_SESSION runs queued or training."""
    active = still_active(run_ids, runs_dir)
    if len(active) >= settings().runs_per_session:
        raise SubmitRefused("error.submit.too_many", n=len(active), runs=", ".join(active))


@dataclass
class ClassSettings:
    """What the teacher caps for the whole class (runs/.class/settings.json); None means no cap."""

    max_epochs: int | None = None
    runs_per_student: int | None = None
    show_names: bool = True  # the Our digits page shows who wrote each digit (off: a class projected on a wall)

    @staticmethod
    def path(runs_root: Path) -> Path:
        return Path(runs_root) / ".class" / "settings.json"

    @classmethod
    def load(cls, runs_root: Path) -> ClassSettings:
        try:
            d = json.loads(cls.path(runs_root).read_text())
        except (OSError, ValueError):
            return cls()
        d = d if isinstance(d, dict) else {}
        return cls(
            *(
                d.get(k) if isinstance(d.get(k), int) and d.get(k) > 0 else None
                for k in ("max_epochs", "runs_per_student")
            ),
            show_names=d.get("show_names") is not False,  # only an explicit false hides them
        )

    def save(self, runs_root: Path) -> None:
        self.path(runs_root).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(
            self.path(runs_root),
            {"max_epochs": self.max_epochs, "runs_per_student": self.runs_per_student, "show_names": self.show_names},
        )


def check_class_caps(config: dict, student: str | None, store: RunStore) -> None:
    """SubmitRefused when the run asks for more epochs than the teacher allows, or its student already
    has as many runs queued or training as the teacher allows."""
    caps = ClassSettings.load(store.root)
    if caps.max_epochs and int(config.get("epochs") or 0) > caps.max_epochs:
        raise SubmitRefused("error.class.max_epochs", epochs=config.get("epochs"), max=caps.max_epochs)
    if caps.runs_per_student and student:
        mine = [i for i in store.list() if i.student == student and i.status in ACTIVE]
        if len(mine) >= caps.runs_per_student:
            raise SubmitRefused("error.class.runs_per_student", n=len(mine), max=caps.runs_per_student)
