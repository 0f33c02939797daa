"""Predictions on a test split: accuracy, per-class accuracy, confusion matrix, mistakes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import sidefiles
from .data import Split
from .inference import forward

SURE = 0.6  # an answer to one digit is trusted from this probability up


def unsure(probs) -> bool:
    """Whether a model's answer to one digit is too weak to trust (its top probability under SURE): for a
    drawing, a small or off-centre one is the usual cause, so the Draw page asks for a bigger, centred one."""
    return float(np.max(probs)) < SURE


def predict_proba(
    model: nn.Module, images_uint8, normalize: str = "minmax", pad: int = 0, batch_size: int = 1000, progress=None
) -> np.ndarray:
    """Softmax probabilities (N, classes) for uint8 images (N, 28, 28) or one (28, 28)."""
    out = [
        torch.softmax(y.float(), dim=1).cpu()
        for _, y in forward(model, images_uint8, normalize, pad, batch_size=batch_size, progress=progress)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, 10), np.float32)


@dataclass
class Evaluation:
    """Everything the Mistakes page shows about one model on one split."""

    accuracy: float
    per_class: np.ndarray  # (classes,) accuracy of each true class (nan if absent)
    confusion: np.ndarray  # (classes, classes) int, rows = true label, columns = prediction
    predictions: np.ndarray  # (N,) int
    confidence: np.ndarray  # (N,) probability of the predicted class
    labels: np.ndarray  # (N,) int true labels
    probabilities: np.ndarray  # (N, classes)


def summarize(probabilities: np.ndarray, labels) -> Evaluation:
    """Build an Evaluation from probabilities and true labels."""
    probs = np.asarray(probabilities, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    k = probs.shape[1]
    preds = probs.argmax(axis=1) if len(probs) else np.zeros(0, np.int64)
    confusion = np.bincount(labels * k + preds, minlength=k * k).reshape(k, k)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)
    accuracy = float((preds == labels).mean()) if len(labels) else float("nan")
    confidence = probs.max(axis=1) if len(probs) else np.zeros(0, np.float32)
    return Evaluation(accuracy, per_class, confusion, preds, confidence, labels, probs)


def evaluate(model: nn.Module, split: Split, normalize: str = "minmax", pad: int = 0, progress=None) -> Evaluation:
    """Run the model over a whole split and summarise its answers (progress(fraction) after each batch)."""
    probs = predict_proba(model, split.images, normalize, pad, progress=progress)
    return summarize(probs, split.labels.cpu().numpy() if torch.is_tensor(split.labels) else split.labels)


def _by_confidence(ev: Evaluation, mask: np.ndarray) -> np.ndarray:
    """Indices where mask holds, most confident first (ties keep dataset order)."""
    idx = np.flatnonzero(mask)
    return idx[np.argsort(-ev.confidence[idx], kind="stable")]


def mistakes(ev: Evaluation, true: int | None = None, pred: int | None = None) -> np.ndarray:
    """Indices of misclassified images, most confident first; optionally only one true / predicted class."""
    mask = ev.predictions != ev.labels
    if true is not None:
        mask &= ev.labels == true
    if pred is not None:
        mask &= ev.predictions == pred
    return _by_confidence(ev, mask)


def cell_indices(ev: Evaluation, true: int, pred: int) -> np.ndarray:
    """Indices in one confusion-matrix cell (true label, prediction), most confident first."""
    return _by_confidence(ev, (ev.labels == true) & (ev.predictions == pred))


# ---------------------------------------------------------------- predictions saved with a checkpoint


def save_predictions(checkpoint, probabilities: np.ndarray, labels, epoch: int | None, path=None) -> Path:
    """Save the test-set probabilities (float16: 200 KB for 10,000 digits) with the labels they were made
    for and the checkpoint's epoch (to tell them apart), where sidefiles puts them, or at path."""
    arrays = dict(
        probabilities=np.asarray(probabilities, np.float16),
        labels=np.asarray(labels, np.uint8),
        epoch=np.int64(-1 if epoch is None else epoch),
    )
    return sidefiles.save(Path(path) if path else sidefiles.written(checkpoint, sidefiles.PREDICTIONS), arrays)


def load_predictions(checkpoint, labels, epoch: int | None) -> Evaluation | None:
    """The saved evaluation of a checkpoint, if there is one that matches these test labels and this
    epoch; None otherwise (no file, a damaged one, another dataset, an older epoch)."""
    labels = np.asarray(labels)

    def matches(saved: dict) -> bool:
        probs, mine = saved.get("probabilities"), saved.get("labels")
        return (
            probs is not None
            and mine is not None
            and int(saved.get("epoch", -2)) == (-1 if epoch is None else epoch)
            and mine.shape == labels.shape
            and bool((mine == labels).all())
            and probs.ndim == 2
            and len(probs) == len(labels)
        )

    saved = sidefiles.load(sidefiles.places(checkpoint, sidefiles.PREDICTIONS), matches)
    return None if saved is None else summarize(saved["probabilities"].astype(np.float32), labels)
