"""The real data on this machine: scikit-learn's digits and Debian's Fashion-MNIST copy."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import latentmix as lm
from latentmix.datasets import REGISTRY, sha256_file
from latentmix.exceptions import InvalidParameterError

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_debian_fashion = pytest.mark.skipif(
    not DEBIAN_FASHION.is_dir(),
    reason=f"{DEBIAN_FASHION} is missing (install Debian's dataset-fashion-mnist package)",
)


@pytest.fixture(autouse=True)
def _no_user_locations(monkeypatch, tmp_path):
    monkeypatch.delenv("LATENTMIX_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_digits_splits():
    X, y = lm.datasets.load("digits", split="all")
    assert X.shape == (1797, 1, 8, 8) and X.dtype == torch.float32
    assert y.shape == (1797,) and y.dtype == torch.int64
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0
    X_tr, y_tr = lm.datasets.load("digits")
    X_te, y_te = lm.datasets.load("digits", split="test")
    assert X_tr.shape[0] == 1437 and X_te.shape[0] == 360
    torch.testing.assert_close(torch.cat([X_tr, X_te]), X)
    torch.testing.assert_close(torch.cat([y_tr, y_te]), y)
    assert torch.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_bad_name_and_split_list_the_choices():
    with pytest.raises(InvalidParameterError, match="digits, fashion-mnist, mnist, cifar10, svhn"):
        lm.datasets.load("imagenet")
    with pytest.raises(InvalidParameterError, match="'train', 'test', 'all'"):
        lm.datasets.load("digits", split="valid")


def test_names_are_forgiving():
    X, _ = lm.datasets.load("DIGITS", split="test")
    assert X.shape[0] == 360


def test_list_reports_every_dataset():
    infos = lm.datasets.list()
    assert [i.name for i in infos] == list(REGISTRY)
    by_name = {i.name: i for i in infos}
    assert by_name["digits"].cached and Path(by_name["digits"].location).is_file()
    assert by_name["cifar10"].shape == (3, 32, 32)
    assert by_name["svhn"].splits == {"train": 73257, "test": 26032}
    assert lm.datasets.list_datasets() == infos


@pytest.fixture(scope="module")
def fashion():
    if not DEBIAN_FASHION.is_dir():
        pytest.skip(f"{DEBIAN_FASHION} is missing (install Debian's dataset-fashion-mnist)")
    return {split: lm.datasets.load("fashion-mnist", split=split, download=False)
            for split in ("train", "test")}


@needs_debian_fashion
@pytest.mark.parametrize("split,n", [("train", 60000), ("test", 10000)])
def test_real_fashion_mnist(fashion, split, n):
    X, y = fashion[split]
    assert X.shape == (n, 1, 28, 28) and X.dtype == torch.float32
    assert y.dtype == torch.int64
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0
    assert torch.bincount(y, minlength=10).tolist() == [n // 10] * 10


@needs_debian_fashion
def test_real_fashion_mnist_is_found_and_known():
    [info] = [i for i in lm.datasets.list() if i.name == "fashion-mnist"]
    assert info.location == str(DEBIAN_FASHION)
    accepted = REGISTRY["fashion-mnist"].sha256
    for name, sums in accepted.items():
        assert sha256_file(DEBIAN_FASHION / name) in sums
