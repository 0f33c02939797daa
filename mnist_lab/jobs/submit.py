"""Starting a run: the one way, for the Train page and `mnist-lab submit` / `train` alike."""

from __future__ import annotations

import os
import secrets
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
    6. the backend: Ray without an address (LaunchError);
    7. for a class_digits run, the class's digits (DigitsError: too few, or one writer only).

    A run that starts from a model (`start_from`) takes its architecture and input scaling; a
    class_digits run gets a snapshot of the class's digits in its folder, which is all it reads.
    """
    store = RunStore(runs_dir)
    cfg = make_config(model, preset, **dict(overrides or {}))
    if cfg.start_from:
        from ..classdigits.teach import start_settings

        cfg = make_config(**{**cfg.to_dict(), **start_settings(cfg.start_from, store.root)})
    name = check_student(student, require_student)
    if find_dataset(cfg.dataset, data_root) is None:
        raise not_found(cfg.dataset, resolve_root(data_root))
    if session_runs is None:
        session_runs = [i.run_id for i in store.list() if i.student == name] if name else []
    check_session(session_runs, store.root)
    check_class_caps(cfg.to_dict(), name, store)
    launch = launcher(store.root, data_root, backend, ray_address)
    snapshot = None
    if cfg.class_digits:  # written before the run exists, so a failure leaves no half-made run
        from ..classdigits import store as class_store
        from ..classdigits import teach, transfer

        digits = class_store.DigitStore(class_store.default_path(store.root))
        teach.check_ready(digits.counts()[1])
        snapshot = transfer.snapshot(digits, store.root / f".snapshot-{os.getpid()}-{secrets.token_hex(4)}.npz")
    try:
        run = store.create(cfg.to_dict(), student=name)
        if snapshot is not None:
            os.replace(snapshot, run.path / transfer.SNAPSHOT)
    finally:
        if snapshot is not None:
            snapshot.unlink(missing_ok=True)
    enqueue(run)
    launch.ensure_workers()
    return run
