"""The class's digits in a real SQLite file: checks before writing, many writers at once, damaged and
busy files, the schema's version, snapshots, and exports that import back exactly."""

import sqlite3
import threading

import numpy as np
import pytest

from mnist_lab import i18n
from mnist_lab.classdigits import store as store_module
from mnist_lab.classdigits import transfer
from mnist_lab.classdigits.store import MIGRATIONS, DigitsError, DigitStore, png
from tests.helpers import synthetic_digits


@pytest.fixture
def store(tmp_path):
    s = DigitStore(tmp_path / "class_digits.sqlite")
    yield s
    s.close()


def _fill(store, n=12, students=("Ana", "Ben", None)):
    images, labels = synthetic_digits(n)
    for i in range(n):
        store.add(label=int(labels[i]), image=images[i], student=students[i % len(students)],
                  model="default", answer=int(labels[i]), confidence=0.9)  # fmt: skip
    return images, labels


def test_digits_are_stored_with_what_the_model_said_and_counted(store):
    images, labels = _fill(store)
    assert store.count() == 12
    per_label, per_student = store.counts()
    assert per_label.sum() == 12 and (per_label == np.bincount(labels, minlength=10)).all()
    assert per_student == {"Ana": 4, "Ben": 4, "": 4}
    rows = store.digits(student="Ana")
    assert len(rows) == 4 and all(r.student == "Ana" and r.model == "default" and r.confidence == 0.9 for r in rows)
    first = store.digits(ids=[1])[0]
    assert (first.image == images[0]).all() and first.label == labels[0]
    assert store.picture(1)[:8] == b"\x89PNG\r\n\x1a\n"  # the 28x28 itself when no crop was given
    d = store.arrays()
    assert (d.images == images).all() and (d.labels == labels).all() and d.students[:3] == ["Ana", "Ben", ""]


@pytest.mark.parametrize(
    "change, key",
    [
        ({"label": 10}, "error.digits.label"),
        ({"label": True}, "error.digits.label"),
        ({"label": "3"}, "error.digits.label"),
        ({"picture": b"not a picture"}, "error.digits.picture"),
        ({"student": "x" * 500}, "error.digits.name_long"),
        ({"image": np.zeros((28, 27), np.uint8)}, "error.digits.image"),
        ({"source": "camera"}, "error.digits.source"),
        ({"confidence": 1.5}, "error.digits.confidence"),
        ({"answer": -1}, "error.digits.label"),
    ],
)
def test_a_bad_row_is_refused_with_a_message_and_never_stored(store, change, key):
    good = dict(label=3, image=np.zeros((28, 28), np.uint8), student="Ana")
    with pytest.raises(DigitsError) as e:
        store.add(**{**good, **change})
    assert e.value.key == key
    for lang in i18n.LANGUAGES:  # said in words in every language, never as a key
        assert i18n.translator(lang).error(e.value) != key
    assert store.count() == 0
    store.add(**good)
    assert store.count() == 1


def test_thirty_students_saving_at_once_lose_nothing(store):
    images, labels = synthetic_digits(10)
    errors = []
    go = threading.Barrier(30)

    def student(k):
        own = DigitStore(store.path)  # each server thread has its own connection
        try:
            go.wait()
            for i in range(10):
                own.add(label=int(labels[i]), image=images[i], student=f"student {k}")
        except Exception as e:  # noqa: BLE001 -- reported below
            errors.append(e)
        finally:
            own.close()

    threads = [threading.Thread(target=student, args=(k,)) for k in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    per_student = store.counts()[1]
    assert store.count() == 300 and len(per_student) == 30 and set(per_student.values()) == {10}


def test_deleting_one_digit_one_student_or_everything(store):
    _fill(store)
    assert store.delete(ids=[1, 2]) == 2 and store.count() == 10
    assert store.delete(student="Ben") == 3 and "Ben" not in store.counts()[1]
    assert store.delete(student="") == 4  # the digits saved without a name
    assert store.delete(ids=[]) == 0
    assert store.delete(everything=True) == 3 and store.count() == 0


def test_a_damaged_file_says_so_and_a_busy_one_says_wait(tmp_path, monkeypatch):
    bad = tmp_path / "damaged.sqlite"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(DigitsError) as e:
        DigitStore(bad).count()
    assert e.value.key == "error.digits.corrupt"

    monkeypatch.setattr(store_module, "BUSY_MS", 100)
    path = tmp_path / "busy.sqlite"
    DigitStore(path).count()  # made
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing
    try:
        with pytest.raises(DigitsError) as e:
            DigitStore(path).add(label=1, image=np.zeros((28, 28), np.uint8))
        assert e.value.key == "error.digits.locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert DigitStore(path).add(label=1, image=np.zeros((28, 28), np.uint8)) == 1  # free again: it works


def test_the_schema_is_numbered_and_a_newer_file_is_not_touched(tmp_path):
    path = tmp_path / "d.sqlite"
    DigitStore(path).count()
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        c.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(DigitsError) as e:
        DigitStore(path).count()
    assert e.value.key == "error.digits.newer"


@pytest.mark.parametrize("fmt", ["npz", "idx"])
def test_an_export_imports_back_exactly(store, tmp_path, fmt):
    _fill(store)
    crop = np.full((40, 30), 200, np.uint8)
    store.add(label=7, image=np.eye(28, dtype=np.uint8) * 255, picture=png(crop), student="Cy", source="photo")
    files = transfer.export(store, tmp_path / "out", fmt)
    assert all(f.is_file() for f in files)
    again = DigitStore(tmp_path / "again.sqlite")
    assert transfer.import_into(again, tmp_path / "out") == 13
    a, b = store.digits(), again.digits()
    keep = lambda r: (r.label, r.student, r.source, r.created, r.model, r.answer, r.confidence, r.image.tobytes())  # noqa: E731
    assert [keep(r) for r in a] == [keep(r) for r in b]
    if fmt == "npz":  # the pictures too; MNIST's idx format has no place for them
        assert [store.picture(r.id) for r in a] == [again.picture(r.id) for r in b]
    again.close()


def test_a_damaged_export_adds_nothing(store, tmp_path):
    _fill(store)
    transfer.export(store, tmp_path / "out", "npz")
    (tmp_path / "out" / "class-digits.npz").write_bytes(b"PK damaged")
    with pytest.raises(DigitsError) as e:
        transfer.import_into(store, tmp_path / "out")
    assert e.value.key == "error.digits.bad_export" and store.count() == 12
    with pytest.raises(DigitsError) as e:
        transfer.import_into(store, tmp_path / "nothing here")
    assert e.value.key == "error.digits.no_export"
    with pytest.raises(DigitsError):
        transfer.export(store, tmp_path / "x", "csv")


def test_a_snapshot_holds_what_a_run_trains_on(store, tmp_path):
    images, labels = _fill(store)
    path = transfer.snapshot(store, tmp_path / "run" / transfer.SNAPSHOT)
    with np.load(path, allow_pickle=False) as z:
        assert (z["images"] == images).all() and (z["labels"] == labels).all()
        assert list(z["students"][:3]) == ["Ana", "Ben", ""]


def test_the_stamp_changes_when_the_newest_digit_is_replaced(store):
    """Undo deletes the newest digit; the next one must not get its id back, or a cache keyed by the
    stamp would show the old digit."""
    img = np.zeros((28, 28), np.uint8)
    first = store.add(label=1, image=img)
    before = store.stamp()
    store.delete(ids=[first])
    second = store.add(label=2, image=img)
    assert second != first and store.stamp() != before


def test_a_deleted_students_name_and_pictures_leave_the_files(store):
    """Nothing a teacher deletes stays readable in the database file or its write-ahead log."""
    crop = png(np.full((30, 20), 77, np.uint8))
    for _ in range(5):
        store.add(label=4, image=np.zeros((28, 28), np.uint8), student="Zelda Quux", picture=crop)
    store.add(label=1, image=np.zeros((28, 28), np.uint8), student="Ana")
    assert store.delete(student="  Zelda   Quux ") == 5  # the name as it was kept, spaces tidied
    on_disk = b"".join(p.read_bytes() for p in store.path.parent.glob(store.path.name + "*"))
    assert b"Zelda Quux" not in on_disk and crop not in on_disk
    assert store.count() == 1


def test_a_busy_file_during_a_save_says_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_MS", 100)
    path = tmp_path / "busy.sqlite"
    s = DigitStore(path)
    s.count()  # opened and up to date: the lock below is met by the INSERT itself
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DigitsError) as e:
            s.add(label=1, image=np.zeros((28, 28), np.uint8))
        assert e.value.key == "error.digits.locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert s.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"confidences": np.array(["high"] * 3)},  # text where numbers belong
        {"labels": np.array([1.5, 2.0, 3.0])},  # not whole
        {"answers": np.array([1, 2, 42], np.int8)},
        {"confidences": np.array([0.5, 2.0, 0.1])},
        {"created": np.array([np.nan, 1.0, 2.0])},
        {"models": np.array(["m" * 5000] * 3)},
        {"images": np.zeros((3, 10, 10), np.uint8)},
    ],
)
def test_an_export_with_a_bad_field_is_refused_whole_with_a_message(store, tmp_path, change):
    other = DigitStore(tmp_path / "other.sqlite")
    _fill(other, n=3)
    [file] = transfer.export(other, tmp_path / "out", "npz")
    with np.load(file) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez(file, **{**arrays, **change})
    with pytest.raises(DigitsError) as e:
        transfer.import_into(store, tmp_path / "out")
    assert e.value.key != "error.digits.unusable"  # about the file, not "the database is broken"
    assert store.count() == 0
    other.close()


def test_names_that_look_like_formulas_stay_text_in_the_csv_and_come_back_exactly(store, tmp_path):
    names = ["=HYPERLINK(1)", "+Ana", "'quoted", "@me", "plain"]
    for name in names:
        store.add(label=2, image=np.zeros((28, 28), np.uint8), student=name)
    transfer.export(store, tmp_path / "out", "idx")
    cells = (tmp_path / "out" / "class-digits.csv").read_text()
    assert "\n=" not in cells and "\n+" not in cells and "\n@" not in cells
    again = DigitStore(tmp_path / "again.sqlite")
    transfer.import_into(again, tmp_path / "out")
    assert sorted(d.student for d in again.digits()) == sorted(names)
    again.close()
