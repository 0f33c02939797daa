"""Teaching a model the class's digits: the writer split, submit's checks and snapshot, a real
fine-tuning run from a checkpoint with its before/after figures, and `mnist-lab digits`."""

import json

import numpy as np
import pytest

from mnist_lab import cli, config
from mnist_lab.classdigits import teach, transfer
from mnist_lab.classdigits.store import DigitsError, DigitStore, default_path
from mnist_lab.jobs.submit import submit
from mnist_lab.runs import RunStore
from tests.helpers import synthetic_digits, wait_for_state


def _class(runs_dir, students=("Ana", "Ben", "Cy"), each=10, seed=5) -> DigitStore:
    store = DigitStore(default_path(runs_dir))
    images, labels = synthetic_digits(len(students) * each, seed=seed)
    for i, (img, label) in enumerate(zip(images, labels, strict=True)):
        store.add(label=int(label), image=img, student=students[i // each])
    return store


def test_writers_are_held_out_whole_by_a_seeded_draw():
    students = ["Ana"] * 4 + ["Ben"] * 3 + ["Cy"] * 5 + [""] * 2 + ["Dan"] * 2
    split = teach.split_by_writer(students, seed=0)
    assert len(split.held_out_students) == 1  # a third of four names, at least one
    held = set(split.held_out_students)
    assert all(students[i] in held for i in split.held_out)
    assert all(students[i] not in held for i in split.train)
    assert {13, 12} <= set(split.train.tolist())  # no name: trained on, never a test of new writers
    assert sorted([*split.train, *split.held_out]) == list(range(len(students)))
    assert teach.split_by_writer(students, seed=0).held_out_students == split.held_out_students  # the same draw
    assert {tuple(teach.split_by_writer(students, seed=s).held_out_students) for s in range(20)} != {tuple(held)}
    with pytest.raises(DigitsError) as e:
        teach.split_by_writer(["Ana", "Ana", ""])
    assert e.value.key == "error.teach.students"


def test_submit_refuses_a_class_with_too_few_digits_or_one_writer(tiny_mnist, runs_dir):
    _class(runs_dir, students=("Ana",), each=25)
    with pytest.raises(DigitsError) as e:
        submit("lenet5", "class_digits", runs_dir=runs_dir, data_root=tiny_mnist)
    assert e.value.key == "error.teach.students"
    DigitStore(default_path(runs_dir)).delete(everything=True)
    _class(runs_dir, students=("Ana", "Ben"), each=5)
    with pytest.raises(DigitsError) as e:
        submit("lenet5", "class_digits", runs_dir=runs_dir, data_root=tiny_mnist)
    assert e.value.key == "error.teach.digits"
    assert RunStore(runs_dir).list() == []  # no run made
    assert not list(runs_dir.glob(".snapshot-*"))


@pytest.mark.slow
def test_a_class_digits_run_fine_tunes_from_a_checkpoint_and_says_before_and_after(tiny_mnist, runs_dir, model_run):
    store = _class(runs_dir)
    run = submit("mlp", "class_digits", {"start_from": model_run, "epochs": 2}, runs_dir=runs_dir,
                 data_root=tiny_mnist)  # fmt: skip
    cfg = run.config()
    assert cfg["model"] == "lenet5" and cfg["normalize"] == "standardize"  # the starting run's, not "mlp"
    assert cfg["class_digits"] and cfg["start_from"] == model_run
    with np.load(run.path / transfer.SNAPSHOT) as z:  # what the run reads: the set as it was at submit
        assert len(z["labels"]) == store.count() == 30
    store.add(label=1, image=np.zeros((28, 28), np.uint8), student="Late")  # after submit: not in this run
    st = wait_for_state(run, ("done", "failed", "interrupted"), timeout_s=180)
    assert st["state"] == "done", st.get("reason")
    assert st["held_out_writers"] == 1 and st["held_out_digits"] == 10
    assert not (run.path / transfer.SNAPSHOT).exists()  # trained: the names and digits stay in the database only
    for key in ("class_accuracy_before", "class_accuracy", "test_accuracy_before", "test_accuracy"):
        assert 0 <= st[key] <= 1
    info = run.info()
    assert info.class_accuracy == st["class_accuracy"] and info.class_accuracy_before == st["class_accuracy_before"]


@pytest.mark.slow
def test_a_run_that_does_not_fine_tune_has_no_class_figures(tiny_mnist, runs_dir):
    run = submit("mlp", "fast", {"epochs": 1}, runs_dir=runs_dir, data_root=tiny_mnist)
    st = wait_for_state(run, ("done", "failed"), timeout_s=180)
    assert st["state"] == "done" and "class_accuracy" not in st and run.info().class_accuracy is None


def test_the_start_must_be_the_shipped_model_or_a_run_and_the_class_writes_digits():
    assert config.make_config("lenet5", "class_digits").start_from == "default"
    for change in ({"dataset": "fashion"}, {"train_limit": 500}):  # clothes; a limit that cuts the class off
        with pytest.raises(config.ConfigError) as e:
            config.make_config("lenet5", "class_digits", **change)
        assert e.value.key == "error.config.class_digits_mnist"
    for bad in ("../elsewhere", "/abs", "a/b", 3):
        with pytest.raises(config.ConfigError):
            config.make_config("lenet5", "fast", start_from=bad)


def test_the_digits_command_adds_lists_evaluates_exports_imports_and_deletes(tmp_path, runs_dir, capsys):
    import cv2

    img = np.zeros((120, 90), np.uint8) + 255
    cv2.line(img, (45, 15), (45, 105), 0, 9)  # a dark "1" on paper
    picture = tmp_path / "one.png"
    cv2.imwrite(str(picture), img)

    def run(*args) -> dict:
        capsys.readouterr()
        assert cli.main(["digits", *args, "--runs-dir", str(runs_dir), "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    added = run("add", str(picture), "--label", "1", "--student", "Ana")
    assert added["label"] == 1 and added["answer"] == 1  # the shipped model reads it
    listed = run("list")
    assert listed["total"] == 1 and listed["per_label"][1] == 1 and listed["per_student"] == {"Ana": 1}
    assert run("eval")["accuracy"] == 1.0
    files = run("export", str(tmp_path / "out"), "--format", "npz")["files"]
    assert files and all(p.endswith(".npz") for p in files)
    assert run("import", str(tmp_path / "out"))["added"] == 1
    assert run("delete", "--student", "Ana")["deleted"] == 2
    capsys.readouterr()
    assert cli.main(["digits", "add", str(picture), "--label", "12", "--runs-dir", str(runs_dir)]) == 2
    assert "0 to 9" in capsys.readouterr().err


def test_the_train_page_teaches_the_model_it_starts_from(tiny_mnist, runs_dir, model_run, no_workers):
    """With the class_digits preset the page asks what to start from, shows that model's layers, says
    when the class has too few digits, and queues a run of the starting model."""
    import ui
    from mnist_lab import i18n
    from tests.helpers import by_label, goto, start, texts

    at = goto(start(name="Teacher"), ui.page("train"))
    by_label(at.selectbox, "train.preset").set_value("class_digits").run()
    assert not [s for s in at.selectbox if s.label == i18n.t("train.model")]  # the start decides the model
    by_label(at.selectbox, "train.start_from").set_value(model_run).run()
    assert i18n.t("model.desc.lenet5") in texts(at.caption)
    by_label(at.button, "train.start").click()
    at.run()
    assert not at.exception and i18n.t("error.teach.digits", n=0, min=teach.MIN_DIGITS) in texts(at.warning)
    _class(runs_dir)
    by_label(at.button, "train.start").click()
    at.run()
    assert not at.exception, at.exception
    [info] = [i for i in RunStore(runs_dir).list() if i.preset == "class_digits"]
    assert info.model == "lenet5" and info.config["start_from"] == model_run and info.student == "Teacher"
