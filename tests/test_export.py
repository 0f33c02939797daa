"""ONNX export: one self-contained file that gives torch's probabilities from raw pixels; the CLI; the
Train page's download button. Needs no real data: the digits are tests.helpers.synthetic_digits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_lab import checkpoints, cli, data, evaluate, export, i18n, models
from mnist_lab.registry import MODELS
from tests.helpers import goto, optional_import, start, synthetic_digits


def need(module: str):
    """Import module, or skip (fail when MNIST_LAB_REQUIRE_ONNX=1: a CI that installs the onnx extra)."""
    return optional_import(module, "onnx", "pip install -e '.[onnx]'")


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return synthetic_digits(1000)[0]


def onnx_probabilities(model_file: Path | bytes, images: np.ndarray) -> np.ndarray:
    """The exported file run by onnxruntime on uint8 digits given as float pixels 0–255."""
    ort = need("onnxruntime")
    source = str(model_file) if isinstance(model_file, Path) else model_file
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["pixels"]
    assert [o.name for o in session.get_outputs()] == ["probabilities"]
    return session.run(["probabilities"], {"pixels": images[:, None].astype(np.float32)})[0]


def assert_same_answers(model_file, model, meta, images) -> float:
    expected = evaluate.predict_proba(model, images, meta.normalize, meta.pad)
    got = onnx_probabilities(model_file, images)
    assert got.shape == (len(images), 10)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    one = onnx_probabilities(model_file, images[:1])  # the batch size is not baked in
    np.testing.assert_allclose(one, expected[:1], atol=1e-4, rtol=0)
    return float(np.abs(got - expected).max())


def modes(model: torch.nn.Module) -> list[bool]:
    return [m.training for m in model.modules()]


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("training", [False, True])  # a model left in training mode must export in eval mode
def test_export_matches_torch_and_is_one_file(tmp_path, digits, name, training):
    need("onnx")
    torch.manual_seed(0)
    model = models.build_model(name)
    normalize = "minmax" if MODELS[name].pad else "standardize"  # both normalisations, and padding in the graph
    meta = checkpoints.ModelMeta(name, normalize, MODELS[name].pad)
    with torch.no_grad():  # running statistics that are not 0 and 1, so eval-mode batch norm shows
        model.train()(data.to_float(torch.from_numpy(digits[:256]), normalize, meta.pad))
    model.train(training)
    before = modes(model)

    path = tmp_path / "model.onnx"
    size = export.export_onnx(model, meta, path)

    assert modes(model) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no .onnx.data, no temp file
    assert size == path.stat().st_size > 10_000
    assert_same_answers(path, model, meta, digits)
    assert modes(model) == before


def test_hooks_on_the_shared_model_stay_out_of_the_export():
    """The app's cached model is shared: another session's Captum may have hooks on it meanwhile."""
    need("onnx")
    model, calls = models.build_model("lenet5"), []
    model.c1.register_forward_hook(lambda *_: calls.append(1))
    export.onnx_bytes(model, checkpoints.ModelMeta("lenet5"))
    assert calls == []


def test_the_file_says_what_it_holds(digits):
    ort = need("onnxruntime")
    need("onnx")
    torch.manual_seed(0)
    meta = checkpoints.ModelMeta("lenet5", "minmax", 0, epoch=3, test_accuracy=0.987)
    session = ort.InferenceSession(export.onnx_bytes(models.build_model("lenet5"), meta))
    props = session.get_modelmeta().custom_metadata_map
    assert props["mnist_lab.model"] == "lenet5" and props["mnist_lab.test_accuracy"] == "0.9870"
    assert json.loads(props["mnist_lab.classes"]) == [str(k) for k in range(10)]
    assert isinstance(session.get_inputs()[0].shape[0], str)  # a named, dynamic batch dimension


@pytest.mark.parametrize("where", ["folder", "missing_folder"])
def test_bad_targets_are_plain_errors(tmp_path, where):
    target = tmp_path if where == "folder" else tmp_path / "nowhere" / "model.onnx"
    with pytest.raises(export.ExportError) as e:
        export.export_onnx(models.build_model("lenet5"), checkpoints.ModelMeta("lenet5"), target)
    assert e.value.key == f"error.export.{'is_folder' if where == 'folder' else 'no_folder'}"
    assert str(tmp_path) in str(e.value) and i18n.message(e.value, "ko") != str(e.value)
    assert sorted(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the CLI


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_exports_the_shipped_model(tmp_path, capsys, digits):
    need("onnx")
    path = tmp_path / "shipped.onnx"
    code, out, err = run_cli(capsys, "export", "--onnx", str(path), "--json")
    assert code == 0, err
    res = json.loads(out)
    model, meta = checkpoints.load_model(checkpoints.default_checkpoint())
    assert res["model"] == meta.model and res["bytes"] == path.stat().st_size and res["path"] == str(path)
    assert (res["input"], res["output"]) == ("pixels", "probabilities")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shipped.onnx"]
    assert_same_answers(path, model, meta, digits[:200])  # the 1,000-digit check is above


@pytest.mark.parametrize(
    "target, message", [("nowhere/model.onnx", "does not exist"), (".", "is a folder")], ids=["missing", "folder"]
)
def test_cli_bad_target_exits_2_with_one_line(tmp_path, capsys, target, message):
    code, out, err = run_cli(capsys, "export", "--onnx", str(tmp_path / target))
    assert code == 2 and out == "" and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_exports_a_run(model_run, runs_dir, tmp_path, capsys):
    need("onnx")
    path = tmp_path / "run.onnx"
    code, out, err = run_cli(capsys, "export", "--onnx", str(path), "--run", model_run, "--runs-dir", str(runs_dir))
    assert code == 0, err
    assert out.strip() == f"exported lenet5 to {path} ({path.stat().st_size} bytes)"
    code, _, err = run_cli(capsys, "export", "--onnx", str(path), "--run", "no-such-run", "--runs-dir", str(runs_dir))
    assert code == 2 and "no run named" in err and "Traceback" not in err


# ---------------------------------------------------------------- the Train page


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_train_page_offers_the_watched_run_as_onnx(model_run, lang):
    at = start(lang=lang)
    at.session_state["watch_run"] = model_run
    at = goto(at, "app_pages/3_Train.py")
    assert not at.exception, at.exception
    [button] = at.get("download_button")
    assert button.label == i18n.t("train.onnx_download", lang)
    assert button.proto.disabled is not export.available()
    assert any(b.label == i18n.t("train.use_button", lang) for b in at.button)  # still beside it


def test_the_pages_bytes_are_the_run_exported(model_run, runs_dir, digits):
    """What the button hands out: the watched run's checkpoint, exported once per version of it."""
    import ui

    need("onnx")
    path = runs_dir / model_run / "checkpoint.pt"
    make = ui.onnx_file(path)
    first = make()
    assert make() is first  # cached: a second click exports nothing
    model, meta = checkpoints.load_model(path)
    assert_same_answers(first, model, meta, digits)
