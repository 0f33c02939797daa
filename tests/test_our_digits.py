"""The class's own digits in the app: Draw's Add, the Our digits page (counts, accuracy, the confusion
matrix's cells, the gallery), the same digits on Explain and the digit map, the teacher's tools, and a
damaged file said in words while the rest of the app works. Plus the engine pieces they use.

AppTest cannot draw on the canvas nor click a plotly chart: a photo is uploaded (Streamlit's AppTest
drives st.file_uploader), the pad is replaced by a stand-in that returns a drawing, and a chart's
click is the selection the browser would send for it.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from mnist_lab import checkpoints, data, evaluate, i18n, padink, preprocess
from mnist_lab.charts import classdigits as charts
from mnist_lab.charts import maps, selection
from mnist_lab.classdigits import archive, collect, measure
from mnist_lab.classdigits.store import Digits, DigitsError, DigitStore, default_path
from mnist_lab.jobs.limits import ClassSettings
from tests.helpers import assert_ok, by_label, draw_on_pad, goto, rerun_until, start, synthetic_digits, texts

OURS, DRAW, TEACHER = "app_pages/12_Our_Digits.py", "app_pages/8_Draw.py", "app_pages/5_Teacher.py"
HOME, EXPLAIN, DMAP = "app_pages/0_Home.py", "app_pages/9_Explain.py", "app_pages/10_Digit_Map.py"
STUDENTS = ("Ana", "Ben", None)


# ---------------------------------------------------------------- pictures and a filled set


def _photo() -> bytes:
    """A dark '1' on white paper, 64x64, as a PNG: a photo of a written digit."""
    a = np.full((64, 64), 255, np.uint8)
    a[10:54, 29:35] = 0
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    return buf.getvalue()


def _pad(height: int = 280) -> np.ndarray:
    """What the pad sends for a drawn '7': white strokes on a transparent 280x280."""
    img = np.zeros((height, height, 4), np.uint8)
    img[60:80, 80:200] = 255
    img[80:230, 170:190] = 255
    return img


@pytest.fixture
def class_store(runs_dir):
    s = DigitStore(default_path(runs_dir))
    yield s
    s.close()


def _fill(store: DigitStore, n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    images, labels = synthetic_digits(n, seed=5)
    for i in range(n):
        store.add(label=int(labels[i]), image=images[i], student=STUDENTS[i % 3], model="default",
                  answer=int(labels[i]), confidence=0.9)  # fmt: skip
    return images, labels


def _expected(store: DigitStore) -> measure.Measured:
    """What the shipped model makes of the set, computed here the plain way."""
    model, meta = checkpoints.load_model(checkpoints.default_checkpoint())
    return measure.measure(model, meta, store.arrays())


def _chart(at, key: str):
    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or f"-{key}" in c.proto.id]
    assert found, f"no chart {key}: {[c.proto.id[-40:] for c in at.get('plotly_chart')]}"
    return found[0]


def _click(at, key: str, customdata):
    """Run the page as after a click on the chart whose key starts with `key`: the point's customdata
    comes back the way the browser sends it (an array as {"0": a, "1": b})."""
    chart = _chart(at, key)
    data = {str(i): v for i, v in enumerate(customdata)} if isinstance(customdata, list) else customdata
    states = at._tree.get_widget_states()
    w = states.widgets.add()
    w.id = chart.proto.id
    w.string_value = json.dumps({"selection": {"points": [{"customdata": data}], "point_indices": [0],
                                               "box": [], "lasso": []}})  # fmt: skip
    return at._run(states)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _settled(at):
    """The page once the MNIST evaluation it started in the background is shown."""
    return rerun_until(at, lambda a: not a.get("progress"), what="the MNIST evaluation to finish")


# ---------------------------------------------------------------- the Our digits page


def test_with_no_digits_the_page_says_how_to_add_some_and_creates_nothing(tiny_mnist, runs_dir):
    at = goto(start(), OURS)
    assert_ok(at, OURS)
    assert texts(at.info) == i18n.t("ours.empty")
    assert [p.proto.page for p in at.get("page_link")] == ["Draw"]
    assert not default_path(runs_dir).exists()  # looking creates no database


def test_the_page_counts_the_digits_and_measures_the_model_on_them(tiny_mnist, runs_dir, class_store):
    _, labels = _fill(class_store)
    at = _settled(goto(start(), OURS))
    assert_ok(at, OURS)
    want = _expected(class_store)
    model, meta = checkpoints.load_model(checkpoints.default_checkpoint())
    mnist = evaluate.evaluate(model, data.load_dataset("mnist", tiny_mnist).test, meta.normalize, meta.pad)
    shown = _metrics(at)
    assert shown[i18n.t("ours.n_digits")] == "24" and shown[i18n.t("ours.n_students")] == "2"
    assert shown[i18n.t("ours.acc_ours")] == f"{want.ev.accuracy:.1%}"
    assert shown[i18n.t("ours.acc_mnist")] == f"{mnist.accuracy:.1%}"
    verdict = measure.verdict(want.ev.accuracy, mnist.accuracy)
    assert i18n.t(f"ours.verdict.{verdict}", ours=f"{want.ev.accuracy:.1%}", mnist=f"{mnist.accuracy:.1%}") in texts(
        at.markdown
    )
    counts = json.loads(_chart(at, "o_labels").proto.spec)["data"][0]["y"]
    assert _values(counts) == np.bincount(labels, minlength=10).tolist()
    students = json.loads(_chart(at, "o_students").proto.spec)["data"][0]
    assert students["y"] == ["Ana", "Ben", i18n.t("ours.no_name")] and _values(students["x"]) == [8, 8, 8]


def _values(array) -> list:
    """A plotly JSON array, plain or base64-packed (plotly 6 packs numpy arrays)."""
    if isinstance(array, dict):
        import base64

        return np.frombuffer(base64.b64decode(array["bdata"]), array["dtype"]).tolist()
    return list(array)


def test_a_click_on_the_confusion_matrix_opens_its_digits_and_one_opens_in_explain(tiny_mnist, runs_dir, class_store):
    _fill(class_store)
    want = _expected(class_store)
    t, p = np.unravel_index(np.argmax(want.ev.confusion), want.ev.confusion.shape)
    ids = want.cell(int(t), int(p))
    at = _click(_settled(goto(start(), OURS)), "o_confusion", [int(t), int(p), len(ids)])
    assert not at.exception
    assert i18n.t("ours.cell_title", true=t, pred=p, n=len(ids)) in [h.value for h in at.subheader]
    cell = json.loads(_chart(at, f"o_cell_{t}_{p}").proto.spec)["data"][1]
    assert _values(cell["customdata"]) == ids  # the cell's digits, most confident first

    at = _click(at, f"o_cell_{t}_{p}", ids[0])
    assert i18n.t("ours.detail", id=ids[0], label=t) in texts(at.markdown)
    at.button(key=f"o_ex_cell_{ids[0]}").click().run()
    assert_ok(at, EXPLAIN)
    assert at.session_state["digit_source"] == "class" and at.session_state["class_digit_id"] == ids[0]
    [picked] = [s for s in at.selectbox if s.label == i18n.t("fm.class_digit")]
    assert picked.value == ids[0]
    assert i18n.t("explain.truth", label=str(t)) in texts(at.markdown)


def test_the_most_confidently_wrong_are_shown_with_their_answers(tiny_mnist, runs_dir, class_store):
    _fill(class_store)
    want = _expected(class_store)
    at = _settled(goto(start(), OURS))
    wrong = want.confidently_wrong(24)
    assert wrong, "the shipped model reads every synthetic digit right: the test shows nothing"
    tiles = json.loads(_chart(at, "o_wrong_").proto.spec)["data"]
    assert _values(tiles[1]["customdata"]) == wrong
    first = want.position(wrong[0])
    assert tiles[2]["text"][0].startswith(f"{want.ev.labels[first]}→{want.ev.predictions[first]}")


def test_the_teachers_switch_hides_the_names(tiny_mnist, runs_dir, class_store, monkeypatch):
    _fill(class_store)
    at = goto(start(), OURS)
    assert "Ana" in _chart(at, "o_students").proto.spec and "Ana" in _chart(at, "o_gallery").proto.spec

    monkeypatch.setenv("MNIST_LAB_TEACHER_PASSWORD", "pw")
    at = _sign_in(goto(at, TEACHER))
    [switch] = [t for t in at.toggle if t.label == i18n.t("teacher.digits.show_names")]
    assert switch.value is True
    switch.set_value(False).run()
    assert ClassSettings.load(runs_dir).show_names is False
    by_label(at.number_input, "teacher.max_epochs").set_value(3)  # saving the limits keeps the switch
    by_label(at.button, "teacher.save").click()
    at.run()
    assert ClassSettings.load(runs_dir) == ClassSettings(3, None, show_names=False)

    at = goto(at, OURS)
    spec = _chart(at, "o_students").proto.spec + _chart(at, "o_gallery").proto.spec
    assert "Ana" not in spec and "Ben" not in spec and i18n.t("ours.anon", n=1) in spec


def _sign_in(at, password: str = "pw"):
    [box] = [t for t in at.text_input if t.label == i18n.t("teacher.password")]
    box.set_value(password)
    at.button[0].click()
    return at.run()


def test_the_teacher_deletes_one_digit_one_students_and_all_and_exports(tiny_mnist, runs_dir, class_store, monkeypatch):
    _fill(class_store)
    monkeypatch.setenv("MNIST_LAB_TEACHER_PASSWORD", "pw")
    at = _sign_in(goto(start(), TEACHER))
    assert_ok(at, TEACHER)
    assert i18n.t("teacher.digits.line", n=24, students=2) in texts(at.caption)
    [download] = at.get("download_button")
    assert download.proto.label == i18n.t("teacher.digits.export")

    by_label(at.number_input, "teacher.digits.id").set_value(5).run()
    at.button(key="teacher_one_yes").click().run()
    assert not at.exception and class_store.count() == 23 and not class_store.digits(ids=[5])

    bens = class_store.counts()[1]["Ben"]  # digit #5 was one of Ben's
    at.selectbox(key="teacher_digit_student").set_value("Ben").run()
    at.button(key="teacher_student_yes").click().run()
    assert not at.exception and "Ben" not in class_store.counts()[1] and class_store.count() == 23 - bens

    left = class_store.count()
    name, export = archive.packed(class_store, "idx")  # what the download button hands out
    at.button(key="teacher_all_yes").click().run()
    assert not at.exception and class_store.count() == 0
    assert i18n.t("teacher.digits.line", n=0, students=0) in texts(at.caption)

    at.file_uploader(key="teacher_digits_upload_0").set_value((name, export, "application/zip")).run()
    by_label(at.button, "teacher.digits.import_button").click()
    at.run()
    assert not at.exception and class_store.count() == left
    assert at.file_uploader(key="teacher_digits_upload_1").value is None  # emptied: a second click adds nothing
    assert i18n.t("teacher.digits.imported", n=left) in texts(at.toast)


def test_a_damaged_file_is_said_in_words_and_the_rest_of_the_app_works(tiny_mnist, runs_dir):
    path = default_path(runs_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database at all" * 100)
    corrupt = i18n.t("error.digits.corrupt", file=str(path))
    at = goto(start(), OURS)
    assert_ok(at, OURS)
    assert texts(at.error) == f"{i18n.t('ours.unavailable')} {corrupt}"

    at = goto(at, DRAW)  # the pad still answers; saving says why it cannot
    at.file_uploader(key="draw_upload").set_value(("digit.png", _photo(), "image/png")).run()
    assert [m for m in at.metric if m.label == i18n.t("draw.prediction")]
    by_label(at.button, "ours.add").click()
    at.run()
    assert not at.exception and texts(at.error) == f"{i18n.t('ours.add_failed')} {corrupt}"

    for page in (HOME, EXPLAIN, DMAP, "app_pages/6_Mistakes.py"):
        at = goto(at, page)
        assert_ok(at, page)
        assert not at.error, (page, texts(at.error))


# ---------------------------------------------------------------- Draw: adding a digit


def test_a_photo_is_added_once_with_the_label_the_student_gave(tiny_mnist, runs_dir, class_store):
    at = goto(start(name="Ana"), DRAW)
    at.file_uploader(key="draw_upload").set_value(("digit.png", _photo(), "image/png")).run()
    [answer] = [m for m in at.metric if m.label == i18n.t("draw.prediction")]
    label = by_label(at.selectbox, "ours.true_label")
    assert label.value == int(answer.value)  # preset to the model's answer
    label.set_value(1)
    add = by_label(at.button, "ours.add")
    add.click()
    states = at._tree.get_widget_states()
    at.run()
    assert i18n.t("ours.added_toast", n=1) in texts(at.toast)
    at._run(states)  # a double click: the same click arrives twice
    assert not at.exception and class_store.count() == 1
    [row] = class_store.digits()
    assert (row.label, row.student, row.source, row.model) == (1, "Ana", "photo", "default")
    assert row.answer == int(answer.value) and 0 < row.confidence <= 1
    kept = Image.open(io.BytesIO(class_store.picture(row.id)))
    assert max(kept.size) < 64  # the photo cropped to the ink
    assert i18n.t("ours.added", label=1, id=row.id) in texts(at.success)

    at = goto(at, OURS)  # seen once, so the set's version is cached
    assert _metrics(at)[i18n.t("ours.n_digits")] == "1"
    at = goto(at, DRAW)  # the same photo again: the page remembers it was saved
    at.file_uploader(key="draw_upload").set_value(("digit.png", _photo(), "image/png")).run()
    by_label(at.button, "ours.undo").click()
    at.run()
    assert not at.exception and class_store.count() == 0
    by_label(at.selectbox, "ours.true_label").set_value(4)  # offered again: saved with another label
    by_label(at.button, "ours.add").click()
    at.run()
    [again] = class_store.digits()
    assert again.id != row.id and again.label == 4  # ids are never handed out twice
    at = goto(at, OURS)
    tiles = json.loads(_chart(at, "o_gallery").proto.spec)["data"][2]["text"]
    assert tiles[0].startswith("4"), tiles  # not the undone 1, from the cache


def test_a_busy_file_says_wait_when_adding(tiny_mnist, runs_dir, class_store, monkeypatch):
    import sqlite3

    from mnist_lab.classdigits import store as store_module

    monkeypatch.setattr(store_module, "BUSY_MS", 100)
    class_store.count()  # the file made
    holder = sqlite3.connect(class_store.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing
    try:
        at = goto(start(), DRAW)
        at.file_uploader(key="draw_upload").set_value(("digit.png", _photo(), "image/png")).run()
        by_label(at.button, "ours.add").click()
        at.run()
        locked = i18n.t("error.digits.locked", file=str(class_store.path))
        assert not at.exception and texts(at.error) == f"{i18n.t('ours.add_failed')} {locked}"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    by_label(at.button, "ours.add").click()  # once the other program is done, the same click works
    at.run()
    assert not at.exception and class_store.count() == 1


def test_a_pad_drawing_is_added_as_white_ink_cropped(tiny_mnist, runs_dir, class_store):
    at = draw_on_pad(goto(start(), DRAW), _pad())
    assert not at.exception and not at.warning
    by_label(at.button, "ours.add").click()
    at.run()
    assert not at.exception
    [row] = class_store.digits()
    assert row.source == "pad" and row.student is None
    kept = np.asarray(Image.open(io.BytesIO(class_store.picture(row.id))))
    assert kept.ndim == 2 and kept.max() == 255 and np.median(kept) == 0  # white ink on black, not see-through
    assert kept.shape[0] <= padink.SEND and kept.shape[1] <= padink.SEND  # what the pad sent, no bigger
    sent = padink.read_ink(padink.message_for(_pad())).picture
    assert (row.image == preprocess.prepare_digit(sent, "pad").image).all()


def test_the_label_picker_keeps_its_key_and_starts_at_each_new_drawings_answer(tiny_mnist, runs_dir, class_store):
    """A stroke updates the picker in place (one key for every drawing), yet a label picked for one drawing is
    never carried to the next: each new drawing starts at the model's answer, and so does one just undone."""
    one = np.zeros((280, 280, 4), np.uint8)
    one[40:240, 130:150] = 255

    def answer(at) -> int:
        [m] = [m for m in at.metric if m.label == i18n.t("draw.prediction")]
        return int(m.value)

    at = draw_on_pad(goto(start(), DRAW), one, n=1)
    b = answer(at)
    at = draw_on_pad(at, _pad(), n=2)
    a = answer(at)
    picker = at.selectbox(key="_class_label")
    assert picker.value == a and picker.label == i18n.t("ours.true_label")
    other = next(x for x in range(10) if x not in (a, b))
    picker.set_value(other).run()
    assert at.selectbox(key="_class_label").value == other
    at = draw_on_pad(at, one, n=3)  # a new drawing: back at its own answer, not the label picked before
    assert not at.exception and at.selectbox(key="_class_label").value == b
    by_label(at.button, "ours.add").click()
    at.run()
    assert [r.label for r in class_store.digits()] == [b] and "_class_label" not in [s.key for s in at.selectbox]
    by_label(at.button, "ours.undo").click()
    at.run()
    assert class_store.count() == 0 and at.selectbox(key="_class_label").value == b


# ---------------------------------------------------------------- the digit map


def test_the_digit_map_shows_the_class_digits_as_their_own_points(tiny_mnist, runs_dir, class_store):
    _fill(class_store, 6)
    at = goto(start(), DMAP)
    at = rerun_until(at, lambda a: len(a.get("plotly_chart")) == 1)
    data = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    [ours] = [t for t in data if t.get("name") == i18n.t("chart.our_digits")]
    assert ours["marker"]["symbol"] == "diamond" and len(ours["customdata"]) == 6


# ---------------------------------------------------------------- the engine pieces


def test_keepsake_crops_to_the_ink_and_keeps_a_photo_small(tmp_path):
    prepared = preprocess.prepare_digit(_pad(), "pad")
    kept = np.asarray(Image.open(io.BytesIO(collect.keepsake(_pad(), prepared.box, "pad"))))
    _, y0, _, y1 = prepared.box
    assert kept.ndim == 2 and kept.shape[0] >= y1 - y0 and kept.shape[0] < 200
    big = np.full((2000, 1500, 3), 240, np.uint8)
    big[400:1600, 700:800] = 20
    kept = Image.open(io.BytesIO(collect.keepsake(big, (600, 300, 900, 1700), "photo")))
    assert max(kept.size) == collect.MAX_SIDE and kept.mode == "RGB"
    assert collect.drawing_key(prepared.image) == collect.drawing_key(prepared.image.copy())
    assert collect.drawing_key(prepared.image) != collect.drawing_key(255 - prepared.image)


def test_add_drawing_keeps_the_answer_and_a_confidence_within_range(tmp_path):
    s = DigitStore(tmp_path / "d.sqlite")
    prepared = preprocess.prepare_digit(_pad(), "pad")
    probs = np.zeros(10, np.float32)
    probs[7] = 1.0000001  # a softmax's float32 may pass 1 by a hair
    digit_id = collect.add_drawing(s, picture=_pad(), prepared=prepared, source="pad", label=7, probs=probs,
                                   student="  Ana ", model="default")  # fmt: skip
    [row] = s.digits(ids=[digit_id])
    assert (row.label, row.answer, row.confidence, row.student) == (7, 7, 1.0, "Ana")
    with pytest.raises(DigitsError):
        collect.add_drawing(s, picture=_pad(), prepared=prepared, source="pad", label=11)
    assert s.count() == 1


def test_measured_cells_mistakes_students_and_the_verdict():
    images, _ = synthetic_digits(6)
    d = Digits(np.array([3, 5, 8, 9, 11, 12]), images, np.array([1, 1, 2, 2, 3, 3]), ["A", "A", "B", "", "B", "A"])
    probs = np.full((6, 10), 0.01, np.float32)
    for n, (answer, conf) in enumerate([(1, 0.9), (7, 0.6), (2, 0.8), (5, 0.95), (3, 0.7), (3, 0.5)]):
        probs[n, answer] = conf
    m = measure.Measured(d, evaluate.summarize(probs, d.labels))
    assert m.cell(1, 7) == [5] and m.cell(3, 3) == [11, 12]
    assert m.confidently_wrong() == [9, 5] and m.position(11) == 4 and m.position(4) is None
    assert m.by_student() == {"A": (3, 2 / 3), "B": (2, 1.0), "": (1, 0.0)}
    assert [measure.verdict(a, 0.99) for a in (0.995, 0.98, 0.92, 0.5)] == ["better", "close", "lower", "far"]
    assert measure.verdict(0.5, None) == "alone"


def test_an_export_downloads_as_one_file_and_uploads_back(tmp_path):
    s = DigitStore(tmp_path / "a.sqlite")
    images, labels = synthetic_digits(5)
    for i in range(5):
        s.add(label=int(labels[i]), image=images[i], student="Ana" if i % 2 else None)
    for fmt in ("idx", "npz"):
        name, data = archive.packed(s, fmt)
        assert name.endswith(".zip" if fmt == "idx" else ".npz")
        other = DigitStore(tmp_path / f"b_{fmt}.sqlite")
        assert archive.unpack_into(other, name, data) == 5
        back = other.arrays()
        assert (back.images == images).all() and (back.labels == labels).all()
        assert back.students == ["", "Ana", "", "Ana", ""]


@pytest.mark.parametrize("bad", ["not a zip", "empty zip", "escaping names"])
def test_an_upload_that_is_not_an_export_adds_nothing(tmp_path, bad):
    s = DigitStore(tmp_path / "a.sqlite")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if bad == "escaping names":
            z.writestr("../../evil.txt", "x")
            z.writestr("/abs/class-digits.csv", "student\n")
    data = b"PK\x03\x04 garbage" if bad == "not a zip" else buf.getvalue()
    with pytest.raises(DigitsError) as e:
        archive.unpack_into(s, "upload.zip", data)
    assert e.value.key == "error.digits.bad_export" and s.count() == 0
    assert not (tmp_path.parent / "evil.txt").exists()


def test_the_charts_count_labels_students_and_keep_the_class_points_apart():
    fig = charts.label_counts([3, 0, 1, 0, 0, 0, 0, 0, 0, 2])
    colours = fig.data[0].marker.color
    assert colours[1] != colours[0] and colours[1] == colours[3]  # a label with none stands out
    fig = charts.student_counts(["Ana", "Ben"], [5, 2], [0.8, 0.5])
    assert list(fig.data[0].text) == ["5 · 80%", "2 · 50%"]
    coords = np.zeros((4, 2), np.float32)
    labels = np.array([1, 2, 3, 4])
    fig = maps.digit_map(coords, labels, labels, ours=(np.ones((2, 2)), [1, 2], [1, 7], (10, 11)))
    ours = fig.data[-1]
    assert ours.name == "our digits" and list(ours.customdata) == ["#10", "#11"] and list(ours.text) == ["1", "2→7"]
    points = [{"customdata": 2}, {"customdata": "#10"}]
    assert selection.selected_indices(points) == [2]  # a box over the map selects test digits only


def test_class_settings_keep_the_names_switch_and_read_old_files(tmp_path):
    assert ClassSettings.load(tmp_path).show_names is True
    ClassSettings(2, None, show_names=False).save(tmp_path)
    assert ClassSettings.load(tmp_path) == ClassSettings(2, None, False)
    ClassSettings.path(tmp_path).write_text('{"max_epochs": 4, "runs_per_student": null}')  # before the switch
    assert ClassSettings.load(tmp_path) == ClassSettings(4, None, True)
