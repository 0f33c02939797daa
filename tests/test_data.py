"""Dataset readers, normalisation and uploads, on tiny fixture files."""

import gzip
import io

import numpy as np
import pytest
import torch

from mnist_lab import data
from mnist_lab.data import DataFormatError, DataNotFound
from tests.helpers import idx_bytes, synthetic_digits, write_mnist


def test_torchvision_layout_matches_torchvision(tmp_path):
    write_mnist(tmp_path, 50, 20)
    ds = data.load_dataset("mnist", tmp_path, download=False)
    from torchvision.datasets import MNIST

    tv = MNIST(str(tmp_path), train=True, download=False)
    assert torch.equal(ds.train.images, tv.data)
    assert torch.equal(ds.train.labels, tv.targets)
    assert ds.train.images.dtype == torch.uint8 and ds.train.images.shape == (50, 28, 28)
    assert len(ds.test) == 20 and ds.source.endswith("MNIST/raw")


def test_flat_gz_folder(tmp_path):
    write_mnist(tmp_path, 30, 10, gz=True, layout="flat")
    ds = data.load_dataset("mnist", tmp_path, download=False)
    x, y = synthetic_digits(30, 1)
    assert np.array_equal(ds.train.images.numpy(), x) and np.array_equal(ds.train.labels.numpy(), y)


def test_npz(tmp_path):
    x, y = synthetic_digits(40, 3)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    ds = data.load_dataset("mnist", tmp_path, download=False)
    assert len(ds.train) == 40 and len(ds.test) == 10
    assert ds.source.endswith("mnist.npz")


def test_root_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_DATA", str(tmp_path / "env"))
    assert data.resolve_root("given") == data.Path("given")
    assert data.resolve_root(None) == tmp_path / "env"
    monkeypatch.delenv("MNIST_LAB_DATA")
    assert data.resolve_root(None).name == "mnist_lab"


def test_missing_offline_message(tmp_path):
    with pytest.raises(DataNotFound) as e:
        data.load_dataset("mnist", tmp_path / "empty", download=False)
    msg = str(e.value)
    assert str(tmp_path / "empty" / "MNIST" / "raw") in msg
    for f in data.ALL_FILES:
        assert f in msg
    assert "MNIST_LAB_DATA" in msg and "--data" in msg


def test_fashion_from_its_own_folder(tmp_path):
    folder = tmp_path / "FashionMNIST" / "raw"
    write_mnist(tmp_path / "tmp", 20, 10)
    folder.mkdir(parents=True)
    for f in (tmp_path / "tmp" / "MNIST" / "raw").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    ds = data.load_dataset("fashion", tmp_path, download=False)
    assert ds.classes[0] == "T-shirt/top" and len(ds.train) == 20


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda b: b"\x00\x00\x09\x03" + b[4:], "magic"),
        (lambda b: b[:-5], "truncated"),
        (lambda b: b[:3], "too short"),
    ],
)
def test_bad_idx(mutate, message):
    x, _ = synthetic_digits(5)
    with pytest.raises(DataFormatError, match=message):
        data.parse_idx(mutate(idx_bytes(x)), "x")


def _files(n_img=20, n_lbl=20, labels=None):
    x, y = synthetic_digits(max(n_img, n_lbl))
    if labels is not None:
        y = labels
    f = {}
    for img, lbl in data.FILES.values():
        f[img] = idx_bytes(x[:n_img])
        f[lbl + ".gz"] = gzip.compress(idx_bytes(y[:n_lbl]))
    return f


def test_import_files_ok(tmp_path):
    folder = data.import_files(_files(), tmp_path)
    assert folder == tmp_path / "MNIST" / "raw"
    assert len(data.load_dataset("mnist", tmp_path, download=False).train) == 20


@pytest.mark.parametrize(
    "files, message",
    [
        (_files(20, 19), "20 images but 19 labels"),
        (_files(labels=np.full(20, 12, np.uint8)), "labels must be 0-9"),
        ({**_files(), "train-images-idx3-ubyte": b"junk"}, "too short"),
        ({"notes.txt": b"hello"}, "not one of the MNIST file names"),
    ],
)
def test_import_files_refuses(tmp_path, files, message):
    with pytest.raises(DataFormatError, match=message):
        data.import_files(files, tmp_path)
    assert not (tmp_path / "MNIST").exists()


def test_import_npz_missing_keys(tmp_path):
    buf = io.BytesIO()
    np.savez(buf, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DataFormatError, match="missing arrays y_train, x_test, y_test"):
        data.import_files({"mnist.npz": buf.getvalue()}, tmp_path)


def test_import_npz_with_pickled_objects_is_refused(tmp_path):
    buf = io.BytesIO()
    np.savez(buf, x_train=np.array([object()], dtype=object))
    with pytest.raises(DataFormatError):
        data.import_files({"mnist.npz": buf.getvalue()}, tmp_path)


def test_normalisations():
    x = torch.tensor([[[0, 255] * 14] * 28], dtype=torch.uint8)
    mm = data.to_float(x, "minmax")
    assert mm.shape == (1, 1, 28, 28) and mm.min() == 0 and mm.max() == 1
    st = data.to_float(x, "standardize", pad=2)
    assert st.shape == (1, 1, 32, 32)
    assert st[0, 0, 0, 0].item() == pytest.approx(-0.1307 / 0.3081)  # padding is background
    assert st[0, 0, 2, 3].item() == pytest.approx((1 - 0.1307) / 0.3081)
    with pytest.raises(ValueError):
        data.to_float(x, "zscore")


def test_mean_std():
    x = torch.zeros(4, 28, 28, dtype=torch.uint8)
    x[:2] = 255
    m, s = data.mean_std(x)
    assert m == pytest.approx(0.5) and s == pytest.approx(0.5, rel=1e-3)


@pytest.mark.realdata
def test_real_mnist_statistics(real_data):
    ds = data.load_dataset("mnist", real_data, download=False)
    assert len(ds.train) == 60000 and len(ds.test) == 10000
    m, s = data.mean_std(ds.train.images)
    assert round(m, 4) == 0.1307 and round(s, 4) == 0.3081
    assert ds.train.labels[:5].tolist() == [5, 0, 4, 1, 9]
    assert ds.test.labels[:5].tolist() == [7, 2, 1, 0, 4]


def test_class_counts_and_means_against_a_loop():
    x, y = synthetic_digits(300, 5)
    y[y == 7] = 3  # no image of class 7
    split = data.Split(torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)))
    counts, means = data.class_counts(split), data.class_means(split)
    assert counts.tolist() == [int((y == k).sum()) for k in range(10)] and counts[7] == 0
    assert means.shape == (10, 28, 28) and means.dtype == np.float32
    for k in (0, 3, 9):
        np.testing.assert_allclose(means[k], x[y == k].astype(np.float64).mean(0), atol=1e-4)
    assert not means[7].any()


def test_a_failed_import_leaves_no_partial_file(tmp_path, monkeypatch):
    """The old writer left `name.part` behind when the disk filled; the shared one leaves nothing."""
    from mnist_lab import files

    real = files.os.replace

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full_disk)
    with pytest.raises(OSError):
        data.import_files(_files(), tmp_path)
    monkeypatch.setattr(files.os, "replace", real)
    assert [p.name for p in (tmp_path / "MNIST" / "raw").iterdir()] == []


def test_browsing_a_split_by_class_in_order_or_shuffled_a_page_at_a_time():
    labels = torch.tensor([3, 1, 3, 0, 3, 2, 3], dtype=torch.int64)
    split = data.Split(torch.zeros(7, 28, 28, dtype=torch.uint8), labels)
    assert data.browse(split).tolist() == list(range(7))
    assert data.browse(split, cls=3).tolist() == [0, 2, 4, 6] and data.browse(split, cls=9).tolist() == []
    shuffled = data.browse(split, cls=3, seed=1)
    assert sorted(shuffled.tolist()) == [0, 2, 4, 6] and shuffled.tolist() == data.browse(split, 3, 1).tolist()
    assert [data.page_count(n, 3) for n in (0, 1, 3, 4, 7)] == [1, 1, 1, 2, 3]
    assert data.page_of(list(range(7)), 3, 3) == [6] and data.page_of(list(range(7)), 1, 3) == [0, 1, 2]
    assert data.describe(split) == {"images": "(7, 28, 28) torch.uint8", "labels": "(7,) torch.int64", "range": "0..0"}


def test_a_digit_on_its_way_into_a_network():
    img = np.zeros((28, 28), np.uint8)
    img[10:18, 12:16] = 255
    stages = {s.key: s for s in data.input_stages(img)}
    assert list(stages) == ["raw", "minmax", "standardize", "padded"]
    assert (stages["raw"].low, stages["raw"].high) == (0, 255) and stages["minmax"].high == 1
    assert stages["standardize"].low == pytest.approx(-data.MNIST_MEAN / data.MNIST_STD)
    assert stages["padded"].image.shape == (32, 32) and stages["padded"].mean < stages["minmax"].mean
