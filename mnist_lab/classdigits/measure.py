"""How well a model reads the class's handwriting, beside how well it reads MNIST's.

The positions in an Evaluation made here are positions in the `Digits` it was made from (oldest
first); `ids_at` turns them back into the digits' ids, which is what pages and links carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..evaluate import Evaluation, cell_indices, mistakes, predict_proba, summarize
from .store import Digits

# how far below its MNIST accuracy a model may read ours and still "read us as well" (points)
CLOSE = 0.02
FAR = 0.10


@dataclass
class Measured:
    """A model's answers to the class's digits."""

    digits: Digits
    ev: Evaluation

    def ids_at(self, positions) -> list[int]:
        return [int(self.digits.ids[i]) for i in positions]

    def position(self, digit_id: int) -> int | None:
        hit = np.flatnonzero(self.digits.ids == int(digit_id))
        return int(hit[0]) if len(hit) else None

    def cell(self, true: int, predicted: int) -> list[int]:
        """Ids of the digits in one cell of the confusion matrix, most confident first."""
        return self.ids_at(cell_indices(self.ev, true, predicted))

    def confidently_wrong(self, n: int = 16) -> list[int]:
        """Ids of the digits the model gets wrong, the surest wrong answers first."""
        return self.ids_at(mistakes(self.ev)[:n])

    def by_student(self) -> dict[str, tuple[int, float]]:
        """student ('' for no name) -> (digits, share the model reads right), most digits first."""
        students = np.asarray(self.digits.students, dtype=object)
        right = self.ev.predictions == self.ev.labels
        out = {}
        for name in dict.fromkeys(self.digits.students):
            mine = students == name
            out[name] = (int(mine.sum()), float(right[mine].mean()))
        return dict(sorted(out.items(), key=lambda kv: -kv[1][0]))


def measure(model, meta, digits: Digits) -> Measured:
    """The model's answers to every digit of the set (one batched pass: a class's set is small)."""
    probs = predict_proba(model, digits.images, meta.normalize, meta.pad)
    return Measured(digits, summarize(probs, digits.labels))


def verdict(ours: float, mnist: float | None) -> str:
    """Which sentence compares the two accuracies: 'better', 'close', 'lower' or 'far' (a catalog
    suffix); 'alone' when MNIST's is not known."""
    if mnist is None or not np.isfinite(mnist):
        return "alone"
    gap = mnist - ours
    if gap < 0:
        return "better"
    return "close" if gap <= CLOSE else "lower" if gap <= FAR else "far"
