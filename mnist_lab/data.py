"""MNIST and Fashion-MNIST as whole uint8 tensors in memory.

Where the files are looked for, in order: the folder given (`--data`), else `$MNIST_LAB_DATA`,
else a user cache folder. Inside it: torchvision's layout (`ROOT/MNIST/raw/`), the four files
(plain or .gz) directly in the folder, or a Keras-style `mnist.npz`.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .config import DATASETS
from .errors import LabError
from .files import atomic_write_bytes
from .settings import settings

if TYPE_CHECKING:  # torch loads where tensors are made: finding the files (the CLI's submit) needs none
    import torch

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
# English names, saved in checkpoints for the CLI; the app shows i18n.class_names(dataset, lang)
CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
}
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
ALL_FILES = FILES["train"] + FILES["test"]
# torchvision's folder name for each dataset, and system folders where Debian installs a copy.
_TV_FOLDER = {"mnist": "MNIST", "fashion": "FashionMNIST"}
_SYSTEM_DIRS = {"mnist": [], "fashion": [Path("/usr/share/datasets/fashion-mnist")]}


class DataNotFound(LabError):
    """The dataset is not on disk and could not be downloaded; the message says how to fix it."""


class DataFormatError(LabError, ValueError):
    """A dataset file is not what it claims to be."""


@dataclass
class Split:
    images: torch.Tensor  # (N, 28, 28) uint8
    labels: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class Dataset:
    name: str
    train: Split
    test: Split
    source: str
    classes: list[str]

    def split(self, which: str) -> Split:
        return self.train if which == "train" else self.test


def resolve_root(data_arg: str | os.PathLike | None = None) -> Path:
    """The data folder: the argument, else $MNIST_LAB_DATA, else the user cache folder."""
    return Path(data_arg).expanduser() if data_arg else settings().data


# ---------------------------------------------------------------- file readers


def _open_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            raise DataFormatError("error.data.gz", file=path.name) from None
    return data


def parse_idx(data: bytes, name: str = "file") -> np.ndarray:
    """Parse an IDX file (MNIST's format): images (N,28,28) or labels (N,), as uint8."""
    if len(data) < 8:
        raise DataFormatError("error.data.idx_short", file=name, size=len(data))
    zero, dtype, ndim = data[0:2], data[2], data[3]
    if zero != b"\x00\x00" or dtype != 0x08 or ndim not in (1, 3):
        raise DataFormatError("error.data.idx_magic", file=name, magic=f"{int.from_bytes(data[:4], 'big'):#010x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFormatError("error.data.idx_header", file=name)
    shape = struct.unpack(">" + "I" * ndim, data[4:header])
    expected = int(np.prod(shape))
    if len(data) - header != expected:
        raise DataFormatError("error.data.idx_size", file=name, found=len(data) - header, expected=expected)
    if ndim == 3 and shape[1:] != (28, 28):
        raise DataFormatError("error.data.idx_side", file=name, h=shape[1], w=shape[2])
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _check_pair(images: np.ndarray, labels: np.ndarray, what: str) -> Split:
    import torch

    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataFormatError("error.data.shape", what=what, shape=str(images.shape))
    if labels.ndim != 1:
        raise DataFormatError("error.data.labels_shape", what=what, shape=str(labels.shape))
    if len(images) != len(labels):
        raise DataFormatError("error.data.count", what=what, images=len(images), labels=len(labels))
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DataFormatError("error.data.label_range", what=what, lo=int(labels.min()), hi=int(labels.max()))
    return Split(
        torch.from_numpy(np.array(images, dtype=np.uint8)), torch.from_numpy(np.asarray(labels).astype(np.int64))
    )


def read_npz(source: Path | bytes) -> dict[str, Split]:
    """Read a Keras-style mnist.npz with x_train, y_train, x_test, y_test."""
    fh = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with np.load(fh, allow_pickle=False) as z:
            missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in z.files]
            if missing:
                raise DataFormatError("error.data.npz_missing", arrays=", ".join(missing))
            arrays = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except DataFormatError:
        raise
    except Exception as e:  # noqa: BLE001 -- zipfile.BadZipFile, ValueError for pickled object arrays, ...
        raise DataFormatError("error.data.npz_bad", kind=type(e).__name__) from None
    return {s: _check_pair(arrays[f"x_{s}"], arrays[f"y_{s}"], f"mnist.npz {s}") for s in ("train", "test")}


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _idx_folder(folder: Path) -> dict[str, Path] | None:
    found = {stem: _find_file(folder, stem) for stem in ALL_FILES}
    return found if all(found.values()) else None


def _read_idx_folder(files: dict[str, Path]) -> dict[str, Split]:
    out = {}
    for split, (img_stem, lbl_stem) in FILES.items():
        images = parse_idx(_open_bytes(files[img_stem]), files[img_stem].name)
        labels = parse_idx(_open_bytes(files[lbl_stem]), files[lbl_stem].name)
        out[split] = _check_pair(images, labels, split)
    return out


def _candidates(name: str, root: Path) -> list[Path]:
    return [root / _TV_FOLDER[name] / "raw", root, *_SYSTEM_DIRS[name]]


def find_dataset(name: str = "mnist", root: str | os.PathLike | None = None) -> str | None:
    """Where the dataset is on disk (a folder or an .npz path), without loading it; None if absent."""
    root = resolve_root(root)
    for folder in _candidates(name, root):
        if _idx_folder(folder):
            return str(folder)
    if name == "mnist" and (root / "mnist.npz").is_file():
        return str(root / "mnist.npz")
    return None


def not_found(name: str, root: Path, why: str | None = None) -> DataNotFound:
    """The error that says where the files were looked for and how to put them there."""
    params = dict(
        name="MNIST" if name == "mnist" else "Fashion-MNIST",
        folder=str(root / _TV_FOLDER[name] / "raw"),
        files="\n".join(f"  - {f}  (or {f}.gz)" for f in ALL_FILES),
        root=str(root),
    )
    if why:
        return DataNotFound("error.data.not_downloaded", why=why, **params)
    return DataNotFound("error.data.not_found", **params)


def _download(name: str, root: Path) -> None:
    from torchvision import datasets as tvd  # imported here: slow, and only needed online

    cls = tvd.MNIST if name == "mnist" else tvd.FashionMNIST
    cls(str(root), train=True, download=True)
    cls(str(root), train=False, download=True)


def load_dataset(name: str = "mnist", root: str | os.PathLike | None = None, download: bool = True) -> Dataset:
    """Load both splits of a dataset; download it with torchvision when absent and online."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    root = resolve_root(root)
    where = find_dataset(name, root)
    if where is None and download:
        try:
            _download(name, root)
        except Exception as e:  # noqa: BLE001 -- no network: URLError, RuntimeError from torchvision's mirrors
            raise not_found(name, root, type(e).__name__) from None
        where = find_dataset(name, root)
    if where is None:
        raise not_found(name, root)
    path = Path(where)
    # torchvision's layout is read with our own IDX parser: the same tensors as
    # torchvision.datasets.MNIST(root).data / .targets (a test checks it), without the 2.5 s
    # that importing torchvision costs every training process
    splits = read_npz(path) if path.suffix == ".npz" else _read_idx_folder(_idx_folder(path))
    return Dataset(name, splits["train"], splits["test"], where, CLASS_NAMES[name])


# ---------------------------------------------------------------- uploads


def import_files(files: dict[str, bytes], root: str | os.PathLike | None = None) -> Path:
    """Check uploaded dataset files (the four IDX files, plain or .gz, or one mnist.npz) and store them."""
    root = resolve_root(root)
    names = {Path(n).name: b for n, b in files.items()}
    npz = [n for n in names if n.endswith(".npz")]
    if npz:
        read_npz(names[npz[0]])  # validates
        root.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(root / "mnist.npz", names[npz[0]])
        return root / "mnist.npz"
    by_stem = {}
    for n, b in names.items():
        stem = n[:-3] if n.endswith(".gz") else n
        stem = stem.replace(".idx", "-idx")  # also accept Kaggle's t10k-images.idx3-ubyte
        if stem not in ALL_FILES:
            raise DataFormatError("error.data.unknown_name", file=n, names=", ".join(ALL_FILES))
        if n.endswith(".gz"):
            try:
                b = gzip.decompress(b)
            except (OSError, EOFError):
                raise DataFormatError("error.data.gz", file=n) from None
        by_stem[stem] = b
    missing = [s for s in ALL_FILES if s not in by_stem]
    if missing:
        raise DataFormatError("error.data.upload_missing", files=", ".join(missing))
    for split, (img, lbl) in FILES.items():
        _check_pair(parse_idx(by_stem[img], img), parse_idx(by_stem[lbl], lbl), split)
    folder = root / "MNIST" / "raw"
    folder.mkdir(parents=True, exist_ok=True)
    for stem, b in by_stem.items():
        atomic_write_bytes(folder / stem, b)
    return folder


# ---------------------------------------------------------------- normalisation


def to_float(images: torch.Tensor, normalize: str = "minmax", pad: int = 0) -> torch.Tensor:
    """uint8 (N,28,28) -> float32 (N,1,28+2p,28+2p): minmax (x/255), standardize, or none."""
    import torch

    x = images.unsqueeze(1).float()
    if normalize == "minmax":
        x = x / 255.0
    elif normalize == "standardize":
        x = (x / 255.0 - MNIST_MEAN) / MNIST_STD
    elif normalize != "none":
        raise ValueError(f"unknown normalisation {normalize!r}; choose minmax, standardize or none")
    if pad:
        # zero padding in pixel space: the padded border is the background after normalisation
        bg = {"minmax": 0.0, "standardize": -MNIST_MEAN / MNIST_STD, "none": 0.0}[normalize]
        x = torch.nn.functional.pad(x, (pad, pad, pad, pad), value=bg)
    return x


def mean_std(images: torch.Tensor) -> tuple[float, float]:
    """Pixel mean and standard deviation of a split after x/255 (MNIST train: 0.1307, 0.3081).

    Exact and fast: from the histogram of the 256 grey levels rather than 47 million floats.
    """
    import torch

    counts = torch.bincount(images.reshape(-1).to(torch.uint8), minlength=256).double()
    levels = torch.arange(256, dtype=torch.float64) / 255.0
    n = counts.sum()
    mean = (counts * levels).sum() / n
    var = (counts * (levels - mean) ** 2).sum() / (n - 1)
    return float(mean), float(var.sqrt())


def class_counts(split: Split) -> np.ndarray:
    """Images per class, (10,) int."""
    import torch

    return torch.bincount(split.labels, minlength=10).numpy()


def class_means(split: Split) -> np.ndarray:
    """The average image of each class, (10, 28, 28) float 0..255 (zeros for a class with no images)."""
    import torch

    sums = torch.zeros(10, 28 * 28, dtype=torch.float64)
    flat = split.images.reshape(len(split), -1)
    # in slices: the whole training set as float64 at once was 376 MB, the server's highest memory
    for at in range(0, len(split), 8192):
        sums.index_add_(0, split.labels[at : at + 8192], flat[at : at + 8192].double())
    counts = torch.bincount(split.labels, minlength=10).clamp(min=1).double()
    return (sums / counts[:, None]).reshape(10, 28, 28).float().numpy()


# ---------------------------------------------------------------- browsing a split


def describe(split: Split) -> dict[str, str]:
    """A split's two arrays as a table row says them: images and labels (shape and type), the pixel range."""
    return {
        "images": f"{tuple(split.images.shape)} {split.images.dtype}",
        "labels": f"{tuple(split.labels.shape)} {split.labels.dtype}",
        "range": f"{int(split.images.min())}..{int(split.images.max())}",
    }


def browse(split: Split, cls: int | None = None, seed: int = 0) -> np.ndarray:
    """The indices of a split's digits to look through, all or one class's: in order, or shuffled by a
    seed (0: in order)."""
    pool = np.arange(len(split)) if cls is None else np.flatnonzero(np.asarray(split.labels) == cls)
    return np.random.default_rng(seed).permutation(pool) if seed else pool


def page_count(n: int, size: int) -> int:
    """How many pages of `size` hold n things (one, even for none)."""
    return max(1, -(-n // size))


def page_of(items, number: int, size: int):
    """Page `number` (from 1) of a list or an array, `size` to a page."""
    return items[(number - 1) * size : number * size]


class Stage(NamedTuple):
    key: str  # raw, minmax, standardize, padded
    image: np.ndarray  # float32 (28, 28), or (32, 32) padded
    low: float
    high: float
    mean: float


def input_stages(img) -> list[Stage]:
    """One uint8 digit (28, 28) on its way into a network: as it is, scaled to 0..1 (minmax),
    standardised with MNIST's mean and deviation, and scaled and padded to 32x32 (for a model made for
    bigger pictures)."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(img, dtype=np.uint8))[None]
    arrays = {
        "raw": x[0].numpy().astype(np.float32),
        "minmax": to_float(x, "minmax")[0, 0].numpy(),
        "standardize": to_float(x, "standardize")[0, 0].numpy(),
        "padded": to_float(x, "minmax", pad=2)[0, 0].numpy(),
    }
    return [Stage(k, a, float(a.min()), float(a.max()), float(a.mean())) for k, a in arrays.items()]
