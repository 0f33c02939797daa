"""The digit map: test digits as points in 2-D, placed by the network's penultimate layer.

PCA (scikit-learn) is instant; t-SNE (scikit-learn) and UMAP (umap-learn, an optional extra) take
seconds and are made on request. Each is made once per model and saved beside its checkpoint
(`checkpoint.projections.npz`; the shipped model ships its own), never on a page's rerun. A new
digit (the one just drawn) is placed exactly by PCA, and among its nearest test digits by t-SNE and
UMAP, which have no way to place a point they were not fitted with.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import sidefiles
from .errors import LabError

KINDS = ("pca", "tsne", "umap")
N_POINTS = 5000
EXPECTED_SECONDS = {"pca": 1, "tsne": 20, "umap": 40}  # on one core here; UMAP's first fit compiles


class ProjectionError(LabError):
    """A projection that cannot be made here."""


def load(checkpoint, epoch: int | None, labels=None) -> dict[str, np.ndarray]:
    """Whatever has been saved for this checkpoint's epoch and, if given, for these test labels ({} if
    nothing matches: no file, a damaged one, another epoch, another test set)."""

    def matches(saved: dict) -> bool:
        if int(saved.get("epoch", -2)) != (-1 if epoch is None else epoch) or "labels" not in saved:
            return False
        mine = None if labels is None else np.asarray(labels)[: len(saved["labels"])]
        return mine is None or (mine.shape == saved["labels"].shape and bool((mine == saved["labels"]).all()))

    return sidefiles.load(sidefiles.places(checkpoint, sidefiles.PROJECTIONS), matches) or {}


def save(checkpoint, saved: dict[str, np.ndarray], path=None) -> Path:
    """Save where sidefiles puts a checkpoint's digit map, or at path."""
    return sidefiles.save(Path(path) if path else sidefiles.written(checkpoint, sidefiles.PROJECTIONS), saved)


def unavailable(kind: str) -> ProjectionError | None:
    """Why a kind of map cannot be made here (UMAP is an optional extra), found without importing it
    (umap-learn pulls in numba: seconds)."""
    import importlib.util

    if kind == "umap" and importlib.util.find_spec("umap") is None:
        return ProjectionError("error.dmap.no_umap")
    return None


def fit(kind: str, feats: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """2-D coordinates of every row of feats; for PCA also what places a new point exactly."""
    feats = np.asarray(feats, np.float32)
    if kind == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed).fit(feats)
        return {
            "pca": pca.transform(feats).astype(np.float32),
            "pca_mean": pca.mean_.astype(np.float32),
            "pca_components": pca.components_.astype(np.float32),
        }
    if kind == "tsne":
        from sklearn.manifold import TSNE

        coords = TSNE(n_components=2, init="pca", perplexity=30, random_state=seed).fit_transform(feats)
        return {"tsne": coords.astype(np.float32)}
    if kind == "umap":
        try:
            import umap
        except ImportError:
            raise ProjectionError("error.dmap.no_umap") from None
        coords = umap.UMAP(n_components=2, random_state=seed, n_jobs=1).fit_transform(feats)
        return {"umap": np.asarray(coords, np.float32)}
    raise ProjectionError("error.dmap.kind", kind=kind, choices=", ".join(KINDS))


def place(kind: str, saved: dict[str, np.ndarray], feats: np.ndarray, feature: np.ndarray, k: int = 10) -> np.ndarray:
    """Where a new digit goes on a map: PCA's own transform, else the distance-weighted mean of the
    places of its k nearest mapped digits."""
    feature = np.asarray(feature, np.float32).ravel()
    if kind == "pca":
        return (feature - saved["pca_mean"]) @ saved["pca_components"].T
    dist = np.linalg.norm(np.asarray(feats, np.float32) - feature, axis=1)
    near = np.argsort(dist)[:k]
    w = 1.0 / (dist[near] + 1e-6)
    return (saved[kind][near] * w[:, None]).sum(0) / w.sum()


def build(
    model, meta, test_images, test_labels, kinds=("pca",), saved: dict | None = None, progress=None, n: int = N_POINTS
) -> dict[str, np.ndarray]:
    """Compute what is missing of `kinds` for a model (features of the first n test digits, then each
    projection) and return everything to save; progress(fraction) is called as it goes."""
    from .evaluate import predict_proba
    from .explain import features

    say = _Forward(progress)
    saved = dict(saved or {})
    images = test_images[:n]
    feats = features(model, meta, images, progress=lambda f: say(0.2 * f))
    if "labels" not in saved:
        probs = predict_proba(model, images, meta.normalize, meta.pad)
        saved.update(
            labels=np.asarray(test_labels[:n], np.uint8),
            predictions=probs.argmax(1).astype(np.uint8),
            epoch=np.int64(-1 if meta.epoch is None else meta.epoch),
        )
    todo = [k for k in kinds if k not in saved]
    for i, kind in enumerate(todo):
        t0 = time.perf_counter()
        start, share = 0.2 + 0.8 * i / len(todo), 0.8 / len(todo)
        # t-SNE and UMAP report nothing while they fit: time tells how far along they probably are
        expected = EXPECTED_SECONDS[kind]

        def tick(start=start, share=share, t0=t0, expected=expected) -> None:
            say(start + share * min(0.95, (time.perf_counter() - t0) / expected))

        ticker = _Ticker(tick)
        try:
            saved.update(fit(kind, feats))
        finally:
            ticker.stop()
        saved[f"{kind}_seconds"] = np.float32(time.perf_counter() - t0)
    say(1.0)
    return saved


class _Forward:
    """Passes progress on, never backwards: a tick computed on the ticker's thread may arrive after a
    later one (a busy machine), and a progress bar that jumps back reads as a fault."""

    def __init__(self, progress):
        import threading

        self.progress, self.last, self.lock = progress, 0.0, threading.Lock()

    def __call__(self, fraction: float) -> None:
        with self.lock:
            if self.progress is None or fraction < self.last:
                return
            self.last = fraction
            self.progress(fraction)


class _Ticker:
    """Calls fn every half second in a thread until stopped."""

    def __init__(self, fn):
        import threading

        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn) -> None:
        while not self.done.wait(0.5):
            fn()

    def stop(self) -> None:
        self.done.set()
        self.thread.join()  # no tick of this step after the next step has begun
