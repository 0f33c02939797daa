"""Starting a run: the one way, for the Train page and `mnist-lab submit` / `train` alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..config import make_config
from ..data import find_dataset, not_found, resolve_root
from ..runs import Run, RunStore
from .launchers import launcher
from .limits import check_class_caps, check_session, check_student
from .queue import enqueue


def submit(
    model: str,
    preset: str,
    overrides: Mapping | None = None,
    *,
    student: str | None = None,
    require_student: bool = False,
    session_runs: Iterable[str] | None = None,
    runs_dir=None,
    data_root=None,
    backend: str | None = None,
    ray_address: str | None = None,
) -> Run:
    """Check a run and queue it; returns at once, a worker trains it. Refusals are LabErrors, in this order:

    1. the settings (ConfigError): the preset with `overrides` (None keeps the preset's value);
    2. the student's name when `require_student` (SubmitRefused; a blank name, LabError);
    3. the dataset, on this machine for either backend: Ray's nodes read it at the same path (DataNotFound);
    4. the session's limit (SubmitRefused): `session_runs` are the runs this browser session started;
       None, from a terminal or a script, which has no session, counts the student's runs instead;
    5. the teacher's caps (SubmitRefused);
    6. the backend: Ray without an address (LaunchError).
    """
    cfg = make_config(model, preset, **dict(overrides or {}))
    name = check_student(student, require_student)
    if find_dataset(cfg.dataset, data_root) is None:
        raise not_found(cfg.dataset, resolve_root(data_root))
    store = RunStore(runs_dir)
    if session_runs is None:
        session_runs = [i.run_id for i in store.list() if i.student == name] if name else []
    check_session(session_runs, store.root)
    check_class_caps(cfg.to_dict(), name, store)
    launch = launcher(store.root, data_root, backend, ray_address)
    run = store.create(cfg.to_dict(), student=name)
    enqueue(run)
    launch.ensure_workers()
    return run
