"""The class's digits in and out of the database: a snapshot a training run reads from its own folder,
and exports a teacher keeps (MNIST's idx format, or one .npz with everything) that import back exactly."""

from __future__ import annotations

import csv
import gzip
import io
import struct
import time
from pathlib import Path

import numpy as np

from ..files import atomic_write_bytes
from .store import DigitsError, DigitStore, png

SNAPSHOT = "class_digits.npz"  # what a run trains on, in its folder
EXPORT_STEM = "class-digits"


def snapshot(store: DigitStore, path) -> Path:
    """The set as one .npz for a training run (images, labels, students); written whole or not at all."""
    d = store.arrays()
    buf = io.BytesIO()
    np.savez_compressed(buf, images=d.images, labels=d.labels, students=np.array(d.students, dtype=str))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)


def export(store: DigitStore, folder, fmt: str) -> list[Path]:
    """Write the set into folder: `idx` (MNIST's own format, gzipped, plus a CSV of who, when and what
    the model said) or `npz` (everything, the pictures too). Returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = store.records()
    labels = np.array([r[0] for r in rows], np.uint8)
    images = np.frombuffer(b"".join(r[7] for r in rows), np.uint8).reshape(-1, 28, 28)
    if fmt == "npz":
        pictures = [bytes(r[8]) for r in rows]
        arrays = dict(
            images=images,
            labels=labels,
            students=np.array([r[1] or "" for r in rows], dtype=str),
            sources=np.array([r[2] for r in rows], dtype=str),
            created=np.array([r[3] for r in rows], np.float64),
            models=np.array([r[4] or "" for r in rows], dtype=str),
            answers=np.array([-1 if r[5] is None else r[5] for r in rows], np.int8),
            confidences=np.array([np.nan if r[6] is None else r[6] for r in rows], np.float64),
            pictures=np.frombuffer(b"".join(pictures), np.uint8),
            picture_ends=np.cumsum([len(p) for p in pictures], dtype=np.int64),
        )
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        out = folder / f"{EXPORT_STEM}.npz"
        atomic_write_bytes(out, buf.getvalue())
        return [out]
    if fmt != "idx":
        raise DigitsError("error.digits.format", format=repr(fmt))
    images_file = folder / f"{EXPORT_STEM}-images-idx3-ubyte.gz"
    labels_file = folder / f"{EXPORT_STEM}-labels-idx1-ubyte.gz"
    atomic_write_bytes(images_file, gzip.compress(struct.pack(">IIII", 0x803, len(rows), 28, 28) + images.tobytes()))
    atomic_write_bytes(labels_file, gzip.compress(struct.pack(">II", 0x801, len(rows)) + labels.tobytes()))
    text = io.StringIO()
    table = csv.writer(text)
    table.writerow(["student", "source", "created", "model", "answer", "confidence"])
    for r in rows:
        table.writerow([_escaped(r[1] or ""), r[2], repr(r[3]), _escaped(r[4] or ""), "" if r[5] is None else r[5],
                        "" if r[6] is None else repr(r[6])])  # fmt: skip
    about = folder / f"{EXPORT_STEM}.csv"
    atomic_write_bytes(about, text.getvalue().encode())
    return [images_file, labels_file, about]


def import_into(store: DigitStore, folder) -> int:
    """Add the digits of an export (either format) to this set; returns how many. Every row is checked
    as a saved one is, and a file that does not read adds nothing."""
    folder = Path(folder)
    npz = folder / f"{EXPORT_STEM}.npz"
    if npz.is_file():
        records = _read_npz_export(npz)
    elif (folder / f"{EXPORT_STEM}-images-idx3-ubyte.gz").is_file():
        records = _read_idx_export(folder)
    else:
        raise DigitsError("error.digits.no_export", folder=str(folder))
    try:  # every row checked as a saved one is, then all written in one transaction: all or nothing
        return len(store.add_many(records))
    except (TypeError, ValueError, OverflowError):  # a field of the wrong kind altogether
        raise DigitsError("error.digits.bad_export", file=folder.name) from None


def _escaped(text: str) -> str:
    """A name as a CSV cell a spreadsheet shows as text: one starting like a formula (=, +, -, @) gets a
    leading apostrophe, and so does one that starts with an apostrophe, so that import takes exactly one off."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "'") else text


def _unescaped(text: str) -> str:
    return text[1:] if text[:1] == "'" else text


def _bad(file: Path) -> DigitsError:
    return DigitsError("error.digits.bad_export", file=file.name)


MAX_UNPACKED = 512 * 2**20  # an export of a few thousand digits is a few MB; a bigger one is not ours


def _read_npz_export(path: Path) -> list[dict]:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:  # sizes first: a small .npz may unpack to gigabytes
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED:
                raise _bad(path)
        with np.load(path, allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
        ends = a["picture_ends"]
        starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
        return [
            dict(
                label=a["labels"][i].item(),
                student=str(a["students"][i]) or None,
                source=str(a["sources"][i]),
                created=a["created"][i].item(),
                model=str(a["models"][i]) or None,
                answer=None if a["answers"][i] == -1 else a["answers"][i].item(),
                confidence=None if np.isnan(a["confidences"][i]) else a["confidences"][i].item(),
                image=np.ascontiguousarray(a["images"][i], np.uint8),
                picture=a["pictures"][starts[i] : ends[i]].tobytes(),
            )
            for i in range(len(a["labels"]))
        ]
    except (OSError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile):
        raise _bad(path) from None


def _read_idx_export(folder: Path) -> list[dict]:
    from ..data import DataFormatError, parse_idx

    files = [folder / f"{EXPORT_STEM}-images-idx3-ubyte.gz", folder / f"{EXPORT_STEM}-labels-idx1-ubyte.gz"]
    try:
        images, labels = (parse_idx(gzip.decompress(f.read_bytes()), f.name) for f in files)
    except (OSError, EOFError, DataFormatError):
        raise _bad(files[0]) from None
    if len(images) != len(labels):
        raise _bad(files[1])
    about = folder / f"{EXPORT_STEM}.csv"
    rows = list(csv.DictReader(io.StringIO(about.read_text()))) if about.is_file() else []
    if rows and len(rows) != len(labels):
        raise _bad(about)
    out = []
    for i in range(len(labels)):
        r = rows[i] if rows else {}
        try:
            out.append(
                dict(
                    label=int(labels[i]),
                    student=_unescaped(r.get("student") or "") or None,
                    source=r.get("source") or "pad",
                    created=float(r["created"]) if r.get("created") else time.time(),
                    model=_unescaped(r.get("model") or "") or None,
                    answer=int(r["answer"]) if r.get("answer") else None,
                    confidence=float(r["confidence"]) if r.get("confidence") else None,
                    image=np.ascontiguousarray(images[i]),
                    picture=png(images[i]),  # MNIST's format keeps no picture but the 28x28 itself
                )
            )
        except ValueError:
            raise _bad(about) from None
    return out
