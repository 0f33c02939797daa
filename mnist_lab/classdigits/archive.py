"""An export as one file a browser can download (idx: a .zip of the gzipped files and the CSV; npz: the
.npz itself), and such a file uploaded back into a set."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from .store import DigitsError, DigitStore
from .transfer import EXPORT_STEM, export, import_into

# what may come out of an uploaded zip: only the export's own names, nothing bigger than this in all
# (a zip that unpacks to gigabytes is refused before it is unpacked)
MAX_UNPACKED = 512 * 1024 * 1024
NAMES = {
    f"{EXPORT_STEM}-images-idx3-ubyte.gz",
    f"{EXPORT_STEM}-labels-idx1-ubyte.gz",
    f"{EXPORT_STEM}.csv",
    f"{EXPORT_STEM}.npz",
}


def packed(store: DigitStore, fmt: str) -> tuple[str, bytes]:
    """(file name, bytes) of the whole set exported as fmt ('idx' or 'npz')."""
    with tempfile.TemporaryDirectory(prefix="mnist_lab_export_") as tmp:
        files = export(store, tmp, fmt)
        if fmt == "npz":
            return files[0].name, files[0].read_bytes()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # the idx files are gzipped already
            for f in files:
                z.write(f, f.name)
        return f"{EXPORT_STEM}-idx.zip", buf.getvalue()


def unpack_into(store: DigitStore, name: str, data: bytes) -> int:
    """Add the digits of an uploaded export (the .zip or the .npz that `packed` makes); returns how many.
    DigitsError, with nothing added, for anything else."""
    with tempfile.TemporaryDirectory(prefix="mnist_lab_import_") as tmp:
        folder = Path(tmp)
        if name.lower().endswith(".npz"):
            (folder / f"{EXPORT_STEM}.npz").write_bytes(data)
        else:
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    # by base name only: a member named ../x or /x cannot leave the folder
                    members = [m for m in z.infolist() if Path(m.filename).name in NAMES and not m.is_dir()]
                    if sum(m.file_size for m in members) > MAX_UNPACKED:
                        raise DigitsError("error.digits.bad_export", file=name)
                    for m in members:
                        (folder / Path(m.filename).name).write_bytes(z.read(m))
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError):
                raise DigitsError("error.digits.bad_export", file=name) from None
        try:
            return import_into(store, folder)
        except DigitsError as e:
            if e.key == "error.digits.no_export":  # the temp folder's name would mean nothing to a teacher
                raise DigitsError("error.digits.bad_export", file=name) from None
            raise
        except (OSError, ValueError):  # e.g. a CSV that is not text
            raise DigitsError("error.digits.bad_export", file=name) from None
