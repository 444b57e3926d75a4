"""The user's own data: .npy, .npz, .csv and image folders, good and bad."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import latentmix as lm
from latentmix.datasets import load_path
from latentmix.exceptions import DataError, DatasetNotFoundError, InvalidParameterError


def test_npy_tabular_and_images(tmp_path):
    table = np.random.default_rng(0).normal(size=(7, 3))
    np.save(tmp_path / "t.npy", table)
    X, y = load_path(tmp_path / "t.npy")
    assert y is None and X.dtype == torch.float32 and X.shape == (7, 3)
    np.testing.assert_allclose(X.numpy(), table, rtol=1e-6)
    images = np.arange(4 * 5 * 6, dtype=np.uint8).reshape(4, 5, 6)
    np.save(tmp_path / "i.npy", images)
    X, _ = lm.datasets.load(str(tmp_path / "i.npy"))  # load() delegates paths
    assert X.shape == (4, 1, 5, 6)
    assert float(X.max()) == pytest.approx(119 / 255)


def test_npy_channels_last_images(tmp_path):
    np.save(tmp_path / "c.npy", np.zeros((2, 8, 9, 3), np.uint8))
    X, _ = load_path(tmp_path / "c.npy")
    assert X.shape == (2, 3, 8, 9)


def test_npz_keys_and_labels(tmp_path):
    X0 = np.random.default_rng(1).random((6, 4)).astype(np.float32)
    np.savez(tmp_path / "a.npz", data=X0, labels=np.array(["b", "a", "b", "c", "a", "a"]))
    X, y = load_path(tmp_path / "a.npz")
    torch.testing.assert_close(X, torch.from_numpy(X0))
    assert y.dtype == torch.int64 and y.tolist() == [1, 0, 1, 2, 0, 0]
    np.savez(tmp_path / "b.npz", y=np.arange(3), first=np.ones((3, 2)))
    X, y = load_path(tmp_path / "b.npz")
    assert X.shape == (3, 2) and y.tolist() == [0, 1, 2]


def test_csv_with_header_and_label_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,kind\n1,2.5,cat\n3,4,dog\n-1e3,0,cat\n")
    X, y = load_path(path, label_column="kind")
    torch.testing.assert_close(X, torch.tensor([[1, 2.5], [3, 4], [-1000, 0]]))
    assert y.tolist() == [0, 1, 0]
    X, y = load_path(path, label_column=-1)
    assert X.shape == (3, 2) and y.tolist() == [0, 1, 0]


def test_csv_without_header(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("1;2;0\n3;4;1\n\n5;6;1\n")
    X, y = load_path(path)
    assert y is None and X.shape == (3, 3)
    X, y = load_path(path, label_column=2)
    assert X.tolist() == [[1, 2], [3, 4], [5, 6]] and y.tolist() == [0, 1, 1]


@pytest.mark.parametrize("text,message", [
    ("", "is empty"),
    ("a,b\n1,x\n2,3\n", r"line 2, column 2: the non-numeric value 'x'"),
    ("1,2\n3,\n", r"line 2, column 2: an empty cell"),
    ("1,2\n3,4,5\n", "line 2: 3 columns"),
    ("1,2\nnan,4\n", "NaN"),
    ("1,2\ninf,4\n", "infinity"),
    ("a,b\n", "header but no data"),
])
def test_bad_csv(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as info:
        load_path(path)
    assert "bad.csv" in str(info.value)


def test_bad_label_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("1,2\n3,4\n")
    with pytest.raises(InvalidParameterError, match="no header"):
        load_path(path, label_column="y")
    with pytest.raises(InvalidParameterError, match="out of range"):
        load_path(path, label_column=5)
    np.save(tmp_path / "a.npy", np.zeros((2, 2)))
    with pytest.raises(InvalidParameterError, match=r"only applies to \.csv"):
        load_path(tmp_path / "a.npy", label_column=0)


def test_bad_arrays(tmp_path):
    np.save(tmp_path / "nan.npy", np.array([[1.0, np.nan]]))
    np.save(tmp_path / "empty.npy", np.zeros((0, 3)))
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really a zip")
    for name, message in [("nan.npy", "NaN"), ("empty.npy", "holds no data"),
                          ("text.npy", "expected numbers"), ("broken.npy", "not a readable"),
                          ("broken.npz", "not a readable")]:
        with pytest.raises(DataError, match=message) as info:
            load_path(tmp_path / name)
        assert name in str(info.value)


def test_missing_and_unsupported(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_path(tmp_path / "nope.npy")
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    with pytest.raises(InvalidParameterError, match="unsupported file type '.parquet'"):
        load_path(tmp_path / "x.parquet")


def _png(path, size=(6, 4), mode="L", value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 255)).save(path)


def test_image_folder_with_classes(tmp_path):
    for cls, n in (("zebra", 2), ("ant", 3)):
        for i in range(n):
            _png(tmp_path / "imgs" / cls / f"{i}.png", value=51 * i)
    X, y = load_path(tmp_path / "imgs")
    assert X.shape == (5, 1, 4, 6) and X.dtype == torch.float32
    assert y.tolist() == [0, 0, 0, 1, 1]  # sorted folder names: ant=0, zebra=1
    assert float(X[2].max()) == pytest.approx(102 / 255)


def test_image_folder_rgb_unlabeled_and_mixed(tmp_path):
    _png(tmp_path / "flat" / "a.png", mode="RGB")
    _png(tmp_path / "flat" / "b.jpg", mode="L", value=255)
    X, y = lm.datasets.load(tmp_path / "flat", split="all")
    assert y is None and X.shape == (2, 3, 4, 6)
    torch.testing.assert_close(X[0, :, 0, 0], torch.tensor([128 / 255, 0.0, 1.0]))
    assert float(X[1].min()) > 0.95  # grayscale repeated over 3 channels


@pytest.mark.parametrize("case,message", [
    ("sizes", r"is 5x5 pixels while .* is 6x4"),
    ("corrupt", "not a readable image"),
    ("empty", "holds no PNG or JPEG"),
    ("empty-class", "class sub-folder"),
])
def test_bad_image_folders(tmp_path, case, message):
    folder = tmp_path / "imgs"
    folder.mkdir()
    if case == "sizes":
        _png(folder / "a.png")
        _png(folder / "b.png", size=(5, 5))
    elif case == "corrupt":
        _png(folder / "a.png")
        (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    elif case == "empty-class":
        _png(folder / "cats" / "a.png")
        (folder / "dogs").mkdir()
    with pytest.raises(DataError, match=message):
        load_path(folder)


def test_path_has_no_test_split(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 2)))
    with pytest.raises(InvalidParameterError, match="no 'test' split"):
        lm.datasets.load(str(tmp_path / "a.npy"), split="test")
