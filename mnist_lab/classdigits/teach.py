"""Teaching a trained model the class's handwriting (the `class_digits` preset).

The class's digits are split by student: some students' digits are held out and never trained on, so
they stand for new writers, the honest test. The model starts from a trained checkpoint and trains a
few short epochs on a sample of MNIST with the class's other digits repeated until they count (a
quarter of what it sees), at a small learning rate, with its batch-norm statistics kept: it learns
the class's hand without forgetting MNIST. Before and after, it is measured on the held-out writers
and on the MNIST test set; the run's status keeps both.

A run reads the set from a snapshot in its own folder (transfer.SNAPSHOT), written at submit: a Ray
node never opens the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .store import DigitsError

HELD_OUT_SHARE = 1 / 3  # of the named students, whose digits are only tested on
MNIST_SAMPLE = 2000  # MNIST training digits the run trains on (the same each epoch), so what it knew stays
CLASS_SHARE = 0.25  # of each epoch's digits that are the class's (repeated as needed)
MIN_DIGITS = 20
MIN_STUDENTS = 2  # one to learn from, one to test on


@dataclass
class WriterSplit:
    train: np.ndarray  # indices of the digits trained on (unnamed digits included)
    held_out: np.ndarray  # indices of the held-out students' digits
    held_out_students: list[str]


def split_by_writer(students: list[str], seed: int = 0, share: float = HELD_OUT_SHARE) -> WriterSplit:
    """Hold out a share of the named students (at least one, never all) by a seeded draw; digits saved
    without a name are only trained on, as nobody can say whose they are."""
    names = sorted({s for s in students if s})
    if len(names) < MIN_STUDENTS:
        raise DigitsError("error.teach.students", n=len(names), min=MIN_STUDENTS)
    k = min(len(names) - 1, max(1, round(share * len(names))))
    held = set(np.random.default_rng(seed).permutation(names)[:k].tolist())
    who = np.array(students, dtype=object)
    mask = np.array([s in held for s in who], bool)
    return WriterSplit(np.flatnonzero(~mask), np.flatnonzero(mask), sorted(held))


def check_ready(per_student: dict[str, int]) -> None:
    """DigitsError unless the set can be taught from (its digits per student, as DigitStore.counts gives
    them): enough digits and at least two named students."""
    n = sum(per_student.values())
    if n < MIN_DIGITS:
        raise DigitsError("error.teach.digits", n=n, min=MIN_DIGITS)
    split_by_writer(list(per_student))


def start_checkpoint(start_from: str, runs_root) -> Path:
    """The checkpoint a run starts from: the shipped model, or a run's (on storage every node mounts)."""
    from ..checkpoints import default_checkpoint
    from ..runs import RunStore

    if start_from == "default":
        return default_checkpoint()
    return RunStore(runs_root).get(start_from).checkpoint_path()


def start_settings(start_from: str, runs_root) -> dict:
    """What a run must share with the model it starts from (its architecture and input scaling),
    read from the run's config or the shipped model's card, without torch."""
    from ..checkpoints import read_card
    from ..runs import RunStore

    if start_from == "default":
        config = read_card().get("config", {})
    else:
        config = RunStore(runs_root).get(start_from).config()
    if not config.get("model"):
        raise DigitsError("error.teach.no_start", start=start_from)
    if config.get("dataset", "mnist") != "mnist":  # a model of clothes has no digits to learn more of
        raise DigitsError("error.teach.not_digits", start=start_from)
    return {"model": config["model"], "normalize": config.get("normalize", "standardize")}


def load_snapshot(path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return z["images"], z["labels"].astype(np.int64), [str(s) for s in z["students"]]
    except (OSError, ValueError, KeyError):
        raise DigitsError("error.digits.bad_export", file=Path(path).name) from None


def lesson(mnist, snapshot_path, seed: int = 0):
    """(the dataset a class_digits run trains on: a sample of MNIST's training digits and the class's
    training writers' digits, repeated; MNIST's test set as its test set, the held-out writers' split,
    and the held-out students' names)."""
    import torch

    from ..data import Dataset, Split

    images, labels, students = load_snapshot(snapshot_path)
    split = split_by_writer(students, seed)
    gen = np.random.default_rng(seed)
    sample = gen.permutation(len(mnist.train))[:MNIST_SAMPLE]
    # the class's digits repeated (a small set) or sampled (a large one) to be CLASS_SHARE of the whole
    own = np.resize(gen.permutation(split.train), round(CLASS_SHARE / (1 - CLASS_SHARE) * len(sample)))
    train = Split(
        torch.cat([mnist.train.images[sample], torch.from_numpy(images[own])]),
        torch.cat([mnist.train.labels[sample], torch.from_numpy(labels[own])]),
    )
    held = Split(torch.from_numpy(images[split.held_out]), torch.from_numpy(labels[split.held_out]))
    return Dataset(mnist.name, train, mnist.test, mnist.source, mnist.classes), held, split.held_out_students
