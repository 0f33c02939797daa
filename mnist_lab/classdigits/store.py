"""The class's own digits: what students drew or photographed, with the label they gave, in one SQLite
file beside the runs (`runs/class_digits.sqlite`).

The app server is the only writer. SQLite's write-ahead log lets pages read while a student saves;
a writer that finds the file busy waits (busy_timeout) instead of failing, and each save is one short
transaction, so a class saving at once loses nothing. Every row is checked before it is written: a
picture that does not decode, a label outside 0-9 or an overlong name is refused with a message and
never stored. The schema is numbered (PRAGMA user_version) and brought up to date when the file opens.

A training run never opens the database: `transfer.snapshot` writes the set into the run's folder,
and the run (local or on a Ray node) reads that file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LabError
from ..recipe import as_uint8

FILE = "class_digits.sqlite"
SOURCES = ("pad", "photo")
MAX_PICTURE_BYTES = 2_000_000
MAX_MODEL_NAME = 128
BUSY_MS = 5000  # how long a writer waits for another writer before it gives up

# each entry brings the schema from version i to i + 1 (its statements, in order); a change to the
# schema is a new entry at the end, never an edit of one that files were made with
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE digits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
            student TEXT,
            source TEXT NOT NULL,
            created REAL NOT NULL,
            model TEXT,
            answer INTEGER CHECK (answer IS NULL OR answer BETWEEN 0 AND 9),
            confidence REAL CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
            image BLOB NOT NULL CHECK (length(image) = 784),
            picture BLOB NOT NULL
        )""",
        "CREATE INDEX digits_by_label ON digits (label)",
        "CREATE INDEX digits_by_student ON digits (student)",
    ),
)


class DigitsError(LabError):
    """A digit that cannot be stored, or a database that cannot be used."""


@dataclass(frozen=True)
class Digit:
    id: int
    label: int
    student: str | None
    source: str
    created: float
    model: str | None
    answer: int | None
    confidence: float | None
    image: np.ndarray  # (28, 28) uint8: what the model saw


@dataclass
class Digits:
    """Many digits as arrays, in id order (what evaluation, training and export read)."""

    ids: np.ndarray  # (N,) int64
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) int64
    students: list[str]  # "" for no name

    def __len__(self) -> int:
        return len(self.ids)


def default_path(runs_root=None) -> Path:
    from ..runs import default_runs_dir

    return Path(runs_root or default_runs_dir()) / FILE


def png(img: np.ndarray) -> bytes:
    """A picture as PNG bytes (how pictures are kept)."""
    import cv2

    ok, buf = cv2.imencode(".png", as_uint8(img))
    if not ok:
        raise DigitsError("error.digits.picture")
    return buf.tobytes()


def checked_picture(picture: bytes) -> bytes:
    from ..images import ImageError, decode_image

    if not isinstance(picture, (bytes, bytearray)) or len(picture) > MAX_PICTURE_BYTES:
        raise DigitsError("error.digits.picture")
    try:
        decode_image(bytes(picture))
    except ImageError:
        raise DigitsError("error.digits.picture") from None
    return bytes(picture)


def checked_student(student: str | None) -> str | None:
    from ..runs import STUDENT_MAX, student_name

    if student is None or not str(student).strip():
        return None
    if len(str(student).strip()) > STUDENT_MAX:
        raise DigitsError("error.digits.name_long", max=STUDENT_MAX)
    try:
        return student_name(student)
    except LabError:
        return None  # nothing but invisible characters: saved without a name


def whole(value, lo: int, hi: int) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and lo <= int(value) <= hi


def _finite(value, lo: float, hi: float) -> bool:
    return isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and lo <= float(value) <= hi


def _row(
    *,
    label,
    image,
    picture: bytes | None = None,
    student: str | None = None,
    source: str = "pad",
    model: str | None = None,
    answer=None,
    confidence=None,
    created=None,
) -> tuple:
    """One digit as the table's row, every field checked (DigitsError for the first out of range)."""
    if not whole(label, 0, 9):
        raise DigitsError("error.digits.label", label=repr(label))
    image = np.asarray(image)
    if image.shape != (28, 28) or image.dtype != np.uint8:
        raise DigitsError("error.digits.image", shape=str(image.shape))
    if source not in SOURCES:
        raise DigitsError("error.digits.source", source=repr(source), choices=", ".join(SOURCES))
    if answer is not None and not whole(answer, 0, 9):
        raise DigitsError("error.digits.label", label=repr(answer))
    if confidence is not None and not _finite(confidence, 0, 1):
        raise DigitsError("error.digits.confidence", value=repr(confidence))
    if model is not None and (not isinstance(model, str) or len(model) > MAX_MODEL_NAME):
        raise DigitsError("error.digits.model", max=MAX_MODEL_NAME)
    if created is not None and not _finite(created, 0, 1e11):
        raise DigitsError("error.digits.created", value=repr(created))
    return (
        int(label),
        checked_student(student),
        source,
        float(created if created is not None else time.time()),
        model,
        None if answer is None else int(answer),
        None if confidence is None else float(confidence),
        np.ascontiguousarray(image).tobytes(),
        checked_picture(picture) if picture is not None else png(image),
    )


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def _writer_lock(path: Path) -> threading.Lock:
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(str(Path(path).resolve()), threading.Lock())


class DigitStore:
    """The class's digits in one SQLite file; one connection per thread (Streamlit runs each session's
    script in its own thread, and a sqlite3 connection belongs to the thread that made it)."""

    def __init__(self, path):
        self.path = Path(path)
        self._local = threading.local()

    # ------------------------------------------------------------ opening

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: safe against a crash of the app
            conn.execute("PRAGMA secure_delete = ON")  # a deleted digit's bytes are overwritten, not left behind
            self._migrate(conn)
        except (sqlite3.Error, OSError, DigitsError) as e:
            if conn is not None:
                conn.close()
            raise e if isinstance(e, DigitsError) else self._why(e) from None
        self._local.conn = conn
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Bring the file's schema up to date, in one transaction (two servers opening a new file at
        once: the second finds the first's work done). A file already up to date takes no lock: every
        page view opens a connection, and must not queue behind a writer for nothing."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise DigitsError("error.digits.newer", file=str(self.path), version=version)
        if version == len(MIGRATIONS):
            return
        with self._write(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for i in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[i]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {i + 1}")

    def _why(self, e: BaseException) -> DigitsError:
        text = str(e).lower()
        if "locked" in text or "busy" in text:
            return DigitsError("error.digits.locked", file=str(self.path))
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return DigitsError("error.digits.corrupt", file=str(self.path))
        return DigitsError("error.digits.unusable", file=str(self.path), why=str(e))

    @contextlib.contextmanager
    def _write(self, conn: sqlite3.Connection):
        """One short write transaction, taken at once (two writers queue instead of deadlocking). The
        server's own writers queue on a lock first: SQLite's busy handler waits by sleeping in steps of
        up to 100 ms, while a lock hands over the moment a save is done."""
        with _writer_lock(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _run(self, fn):
        """fn(connection), with SQLite's errors said in words."""
        conn = self._connect()
        try:
            return fn(conn)
        except sqlite3.Error as e:
            raise self._why(e) from None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ------------------------------------------------------------ writing

    def add(self, **fields) -> int:
        """Store one digit; returns its id. DigitsError, with nothing stored, for anything out of range.
        Fields: label, image (28x28 uint8), and optionally picture (PNG bytes; else the 28x28 itself),
        student, source ("pad" or "photo"), model, answer, confidence, created (a time)."""
        return self.add_many([fields])[0]

    def add_many(self, digits: list[dict]) -> list[int]:
        """Store several digits in one transaction, each checked as add() checks one: all or none."""
        rows = [_row(**d) for d in digits]

        def insert(conn):
            with self._write(conn):
                return [
                    int(conn.execute(
                        "INSERT INTO digits (label, student, source, created, model, answer, confidence, image,"
                        " picture) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row).lastrowid)
                    for row in rows
                ]  # fmt: skip

        return self._run(insert)

    def delete(self, *, ids=None, student: str | None = None, everything: bool = False) -> int:
        """Delete some digits (by id), one student's, or all of them; returns how many went."""
        if everything:
            sql, args = "DELETE FROM digits", ()
        elif student is not None:  # the name as it was kept (spaces tidied); "" for the unnamed digits
            sql, args = "DELETE FROM digits WHERE student IS ?", (checked_student(student),)
        else:
            ids = [int(i) for i in (ids or [])]
            sql, args = f"DELETE FROM digits WHERE id IN ({','.join('?' * len(ids))})", tuple(ids)
            if not ids:
                return 0

        def run(conn):
            with self._write(conn):
                n = conn.execute(sql, args).rowcount
            return n

        n = self._run(run)
        if everything:  # the deleted rows' bytes leave the file too, not only the index
            self._run(lambda c: c.execute("VACUUM"))
        # and the write-ahead log, which still holds the pages as they were before the delete
        self._run(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
        return n

    # ------------------------------------------------------------ reading

    def stamp(self) -> tuple[int, int, int]:
        """Changes whenever a digit is added or deleted (ids are never given twice: AUTOINCREMENT), a cache
        key for what is computed from the set."""
        return self._run(
            lambda c: tuple(
                c.execute("SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0) FROM digits").fetchone()
            )
        )

    def count(self) -> int:
        return self._run(lambda c: c.execute("SELECT count(*) FROM digits").fetchone()[0])

    def counts(self) -> tuple[np.ndarray, dict[str, int]]:
        """(digits per label (10,), digits per student: '' for no name), most digits first."""

        def read(conn):
            per_label = np.zeros(10, np.int64)
            for label, n in conn.execute("SELECT label, count(*) FROM digits GROUP BY label"):
                per_label[label] = n
            rows = conn.execute("SELECT coalesce(student, ''), count(*) AS n FROM digits GROUP BY 1 ORDER BY n DESC")
            return per_label, dict(rows.fetchall())

        return self._run(read)

    def digits(self, *, label: int | None = None, student: str | None = None, ids=None) -> list[Digit]:
        """Digits as rows, newest first (without their pictures: see picture())."""
        where, args = [], []
        if label is not None:
            where.append("label = ?")
            args.append(int(label))
        if student is not None:
            where.append("student IS ?")
            args.append(student or None)
        if ids is not None:
            ids = [int(i) for i in ids]
            where.append(f"id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        sql = "SELECT id, label, student, source, created, model, answer, confidence, image FROM digits"
        sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
        rows = self._run(lambda c: c.execute(sql, args).fetchall())
        return [Digit(*r[:8], np.frombuffer(r[8], np.uint8).reshape(28, 28)) for r in rows]

    def picture(self, digit_id: int) -> bytes | None:
        row = self._run(lambda c: c.execute("SELECT picture FROM digits WHERE id = ?", (int(digit_id),)).fetchone())
        return None if row is None else bytes(row[0])

    def records(self) -> list[tuple]:
        """Every digit's fields, oldest first: label, student, source, created, model, answer, confidence,
        image (784 bytes), picture (PNG)."""
        sql = (
            "SELECT label, student, source, created, model, answer, confidence, image, picture FROM digits ORDER BY id"
        )
        return self._run(lambda c: c.execute(sql).fetchall())

    def arrays(self) -> Digits:
        """Every digit as arrays, oldest first."""
        rows = self._run(lambda c: c.execute("SELECT id, image, label, student FROM digits ORDER BY id").fetchall())
        images = np.frombuffer(b"".join(r[1] for r in rows), np.uint8).reshape(-1, 28, 28).copy()
        return Digits(
            np.array([r[0] for r in rows], np.int64),
            images,
            np.array([r[2] for r in rows], np.int64),
            [r[3] or "" for r in rows],
        )
