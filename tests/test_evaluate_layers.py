from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from mnist_lab import sidefiles
from mnist_lab.data import Split
from mnist_lab.evaluate import cell_indices, evaluate, mistakes, predict_proba
from mnist_lab.layers import activations, conv_filters, dense, with_maps
from mnist_lab.models import build_model
from tests.helpers import wait_until


def pixel_reader(size: int = 28) -> nn.Sequential:
    """A model whose logit k is 10 * (pixel (0, k) in 0..1): we choose its answer and its confidence."""
    fc = nn.Linear(size * size, 10, bias=False)
    with torch.no_grad():
        fc.weight.zero_()
        for k in range(10):
            fc.weight[k, k] = 10.0
    return nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc=fc))


def images_for(answers, strengths, size: int = 28) -> torch.Tensor:
    x = torch.zeros(len(answers), size, size, dtype=torch.uint8)
    for i, (a, s) in enumerate(zip(answers, strengths)):
        x[i, 0, a] = s
    return x


def tiny_cnn() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(1, 4, 3),
            relu1=nn.ReLU(inplace=True),
            pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(4, 6, 3, padding=1),
            relu2=nn.ReLU(),
            flatten=nn.Flatten(),
            drop=nn.Dropout(0.5),
            fc=nn.Linear(6 * 13 * 13, 10),
        )
    )


@pytest.fixture
def split_and_eval():
    answers = [0, 1, 2, 3, 3, 5, 6, 7, 8, 9, 1, 1]
    labels = [0, 1, 2, 3, 4, 4, 6, 7, 8, 8, 7, 7]  # wrong: index 4 (3 for 4), 5 (5 for 4), 9, 10, 11
    strengths = [255, 255, 255, 255, 60, 200, 255, 255, 255, 120, 250, 90]
    split = Split(images_for(answers, strengths), torch.tensor(labels))
    model = pixel_reader()
    model.train()
    ev = evaluate(model, split, "minmax", 0)
    assert model.training  # evaluate must not leave the model switched to eval mode
    return split, ev


def test_predictions_and_confusion(split_and_eval):
    split, ev = split_and_eval
    assert ev.predictions.tolist() == [0, 1, 2, 3, 3, 5, 6, 7, 8, 9, 1, 1]
    assert ev.confusion.sum() == len(split) == 12
    assert ev.confusion.shape == (10, 10)
    assert ev.confusion[4, 3] == 1 and ev.confusion[7, 1] == 2 and ev.confusion[8, 9] == 1
    assert np.trace(ev.confusion) == 7
    assert ev.accuracy == pytest.approx(7 / 12)
    assert ev.per_class[4] == 0 and ev.per_class[8] == 0.5 and ev.per_class[0] == 1
    np.testing.assert_allclose(ev.probabilities.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(ev.confidence, ev.probabilities.max(axis=1))


def test_mistakes_sorted_by_confidence(split_and_eval):
    _, ev = split_and_eval
    idx = mistakes(ev)
    assert sorted(idx.tolist()) == [4, 5, 9, 10, 11]
    conf = ev.confidence[idx]
    assert np.all(np.diff(conf) <= 0)
    assert idx[0] == 10 and idx[-1] == 4  # strength 250 first, strength 60 last
    assert mistakes(ev, true=7).tolist() == [10, 11]
    assert mistakes(ev, true=4, pred=5).tolist() == [5]
    assert mistakes(ev, pred=0).size == 0
    assert cell_indices(ev, 7, 1).tolist() == [10, 11]
    assert cell_indices(ev, 3, 3).tolist() == [3]


def test_predict_proba_batches_padding_and_numpy():
    imgs = images_for([2, 5, 9], [255, 128, 30])
    a = predict_proba(pixel_reader(), imgs, "minmax", 0, batch_size=1)
    b = predict_proba(pixel_reader(), imgs.numpy(), "minmax", 0, batch_size=1000)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert a.argmax(axis=1).tolist() == [2, 5, 9]
    padded = predict_proba(pixel_reader(32), imgs, "standardize", pad=2)
    assert padded.shape == (3, 10)
    with pytest.raises(ValueError):
        predict_proba(pixel_reader(), imgs.float(), "minmax", 0)


def test_conv_filters_in_order():
    filters = conv_filters(tiny_cnn())
    assert [name for name, _ in filters] == ["conv1", "conv2"]
    assert filters[0][1].shape == (4, 1, 3, 3) and filters[1][1].shape == (6, 4, 3, 3)


def test_activations_every_layer_and_inplace_relu_copied():
    model = tiny_cnn()
    x = torch.randn(1, 1, 28, 28)
    acts = activations(model, x)
    assert [(n, t) for n, t, _ in acts] == [
        ("conv1", "Conv2d"),
        ("relu1", "ReLU"),
        ("pool1", "MaxPool2d"),
        ("conv2", "Conv2d"),
        ("relu2", "ReLU"),
        ("flatten", "Flatten"),
        ("drop", "Dropout"),
        ("fc", "Linear"),
    ]
    shapes = [a.shape for _, _, a in acts]
    assert shapes[:5] == [(4, 26, 26), (4, 26, 26), (4, 13, 13), (6, 13, 13), (6, 13, 13)]
    assert shapes[5:] == [(1014,), (1014,), (10,)]
    assert with_maps(acts) == ["conv1", "relu1", "pool1", "conv2", "relu2"]
    assert [n for n, _, _ in dense(acts)] == ["drop", "fc"]  # not flatten: only the maps in a row
    with_norm = [*acts[:1], ("bn", "BatchNorm2d", acts[0][2]), *acts[1:]]
    assert with_maps(with_norm)[:2] == ["conv1", "bn"] and "bn" not in with_maps(with_norm, first_shown=True)
    conv1 = acts[0][2]
    assert conv1.min() < 0, "conv output must be stored before the in-place ReLU clips it"
    np.testing.assert_allclose(acts[1][2], np.maximum(conv1, 0), atol=1e-6)
    with torch.no_grad():
        model.eval()
        np.testing.assert_allclose(acts[-1][2], model(x)[0].numpy(), atol=1e-5)  # dropout off


def test_activations_with_registry_model():
    model = build_model("lenet5")
    acts = activations(model, torch.zeros(1, 1, 28, 28))
    assert acts[0][0] == "c1" and acts[-1][2].shape == (10,)
    assert next(n for n, _ in conv_filters(model)) == "c1"


def test_saved_predictions_are_used_only_for_their_checkpoint(tmp_path):
    from mnist_lab.evaluate import load_predictions, save_predictions

    ckpt = tmp_path / "checkpoint.pt"
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10), 50).astype(np.float32)
    labels = rng.integers(0, 10, 50)
    path = save_predictions(ckpt, probs, labels, epoch=3)
    assert path == sidefiles.beside(ckpt, sidefiles.PREDICTIONS) == tmp_path / "checkpoint.predictions.npz"
    ev = load_predictions(ckpt, labels, 3)
    np.testing.assert_allclose(ev.probabilities, probs, atol=1e-3)  # float16 on disk
    assert (ev.predictions == probs.argmax(1)).all() and ev.accuracy == (probs.argmax(1) == labels).mean()
    assert load_predictions(ckpt, labels, 4) is None  # another epoch's checkpoint
    assert load_predictions(ckpt, (labels + 1) % 10, 3) is None  # another test set
    path.write_bytes(b"damaged")
    assert load_predictions(ckpt, labels, 3) is None


def test_what_the_app_computes_for_the_shipped_model_never_overwrites_its_shipped_files(tmp_path):
    from mnist_lab import checkpoints, projection
    from mnist_lab.evaluate import load_predictions, save_predictions

    shipped = checkpoints.default_checkpoint()
    meta = checkpoints.load_model(shipped)[1]
    before = sidefiles.beside(shipped, sidefiles.PREDICTIONS).read_bytes()
    with np.load(sidefiles.beside(shipped, sidefiles.PREDICTIONS)) as z:
        real_labels = z["labels"]
    assert load_predictions(shipped, real_labels, meta.epoch) is not None  # what it ships

    # another test set (a fixture, a class's own data): computed and saved, in the cache folder
    labels = np.arange(100) % 10
    probs = np.eye(10, dtype=np.float32)[labels]
    path = save_predictions(shipped, probs, labels, meta.epoch)
    assert path.parent == checkpoints.cache_dir()
    assert sidefiles.beside(shipped, sidefiles.PREDICTIONS).read_bytes() == before
    assert load_predictions(shipped, labels, meta.epoch).accuracy == 1.0
    assert load_predictions(shipped, real_labels, meta.epoch).accuracy > 0.99  # the shipped file still answers

    saved = {"labels": labels.astype(np.uint8), "epoch": np.int64(meta.epoch), "pca": np.zeros((100, 2), np.float32)}
    file = projection.save(shipped, saved)
    assert file.parent == checkpoints.cache_dir() != sidefiles.beside(shipped, sidefiles.PROJECTIONS).parent
    assert set(projection.load(shipped, meta.epoch, labels)) == set(saved)
    assert projection.load(shipped, meta.epoch, (labels + 1) % 10) == {}  # made for another test set


def test_a_background_task_runs_once_and_reports_progress():
    import threading

    from mnist_lab import tasks

    gate, calls = threading.Event(), []

    def work(progress):
        calls.append(1)
        progress(0.5)
        gate.wait()  # until the test has seen it half done, however slow the machine
        return "result"

    first = tasks.start("test-once", work)
    try:
        assert tasks.start("test-once", work) is first  # a second asker (another session) waits for the same
        wait_until(lambda: first.fraction >= 0.5, 30, 0.01, what="the task's progress report")
        assert first.fraction == 0.5 and not first.done
    finally:
        gate.set()  # the task's thread ends whatever happened above
    assert first.wait(30) and first.result == "result" and first.fraction == 1.0 and calls == [1]

    def broken(progress):
        raise ValueError("no")

    failed = tasks.start("test-broken", broken)
    assert failed.wait(30) and isinstance(failed.error, ValueError)
    # a failed task stays failed for every asker (a page rerun must not start it again and again) ...
    assert tasks.start("test-broken", lambda p: "again") is failed
    tasks.forget("test-broken")  # ... until someone asks to try again
    assert tasks.start("test-broken", lambda p: "again").wait(30)
    assert tasks.get("test-broken").result == "again"
    tasks.forget("test-once")
    assert tasks.get("test-once") is None
