"""Predictions on a test split: accuracy, per-class accuracy, confusion matrix, mistakes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .data import Split, to_float
from .files import atomic_write_bytes
from .models import eval_mode


def _device(model: nn.Module) -> torch.device:
    """Where the model's weights live (CPU for a model without weights)."""
    return next(model.parameters(), torch.empty(0)).device


def predict_proba(
    model: nn.Module, images_uint8, normalize: str = "minmax", pad: int = 0, batch_size: int = 1000
) -> np.ndarray:
    """Softmax probabilities (N, classes) for uint8 images (N, 28, 28), in batches, without gradients."""
    images = images_uint8 if torch.is_tensor(images_uint8) else torch.from_numpy(np.ascontiguousarray(images_uint8))
    if images.ndim == 2:
        images = images[None]
    if images.dtype != torch.uint8:
        raise ValueError(f"expected uint8 images, got {images.dtype}")
    device = _device(model)
    out = []
    with eval_mode(model), torch.no_grad():
        for i in range(0, len(images), batch_size):
            x = to_float(images[i : i + batch_size].to(device), normalize, pad)
            out.append(torch.softmax(model(x).float(), dim=1).cpu())
    if not out:
        return np.zeros((0, 10), np.float32)
    return torch.cat(out).numpy()


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


def evaluate(model: nn.Module, split: Split, normalize: str = "minmax", pad: int = 0) -> Evaluation:
    """Run the model over a whole split and summarise its answers."""
    probs = predict_proba(model, split.images, normalize, pad)
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


# ---------------------------------------------------------------- predictions saved beside a checkpoint


def predictions_path(checkpoint) -> Path:
    """Where a checkpoint's test-set probabilities are saved with it: checkpoint.pt -> checkpoint.predictions.npz
    (for the shipped model, the file it ships; what the app computes for it goes to checkpoints.side_file)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".predictions.npz")


def save_predictions(checkpoint, probabilities: np.ndarray, labels, epoch: int | None, path=None) -> Path:
    """Save the test-set probabilities (float16: 200 KB for 10,000 digits) with the labels they were made
    for and the checkpoint's epoch (to tell them apart): beside the checkpoint (checkpoints.side_file), or
    at path."""
    import io

    from .checkpoints import side_file

    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        probabilities=np.asarray(probabilities, np.float16),
        labels=np.asarray(labels, np.uint8),
        epoch=np.int64(-1 if epoch is None else epoch),
    )
    path = Path(path) if path else side_file(checkpoint, ".predictions.npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return path


def load_predictions(checkpoint, labels, epoch: int | None) -> Evaluation | None:
    """The saved evaluation of a checkpoint, if there is one that matches these test labels and this
    epoch; None otherwise (no file, a damaged one, another dataset, an older epoch)."""
    from .checkpoints import side_files

    labels = np.asarray(labels)
    for path in side_files(checkpoint, ".predictions.npz"):
        try:
            with np.load(path, allow_pickle=False) as z:
                probs, saved, saved_epoch = z["probabilities"], z["labels"], int(z["epoch"])
        except (OSError, ValueError, KeyError):
            continue
        same_labels = saved.shape == labels.shape and (saved == labels).all()
        if saved_epoch != (-1 if epoch is None else epoch) or not same_labels:
            continue
        if probs.ndim == 2 and len(probs) == len(labels):
            return summarize(probs.astype(np.float32), labels)
    return None


def evaluate_with_progress(
    model: nn.Module, split: Split, normalize: str, pad: int, progress, batch_size: int = 500
) -> Evaluation:
    """evaluate(), calling progress(fraction) after every batch (for a page that shows it)."""
    parts = []
    n = len(split)
    for i in range(0, n, batch_size):
        parts.append(predict_proba(model, split.images[i : i + batch_size], normalize, pad, batch_size))
        progress((i + batch_size) / max(n, 1))
    probs = np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)
    return summarize(probs, split.labels.cpu().numpy() if torch.is_tensor(split.labels) else split.labels)
