"""Finding and downloading built-in datasets, against a real HTTP server on 127.0.0.1.

The server serves small files in the real formats; their checksums are patched in with the
``checksums=`` argument (or a replaced registry entry): the real checksums stay in the code.
"""

from __future__ import annotations

import dataclasses
import gzip
import socket

import numpy as np
import pytest
import torch
from _datasets_helpers import (
    IDX_NAMES,
    N_SMALL,
    files_in,
    idx_bytes,
    isolate,
    serve,
    sha256,
    small_labels,
    write_cifar_archive,
    write_idx_dataset,
    write_svhn_mat,
)

import latentmix.datasets as lmd
from latentmix.datasets import REGISTRY
from latentmix.exceptions import DataError, DatasetNotFoundError


@pytest.fixture
def cache(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def mirror(tmp_path):
    """A local mirror with the four MNIST-style files; ``.sums`` holds their sha256."""
    folder = tmp_path / "mirror"
    sums = write_idx_dataset(folder)
    with serve(folder) as served:
        served.sums = sums
        yield served


def _load_mnist(mirror, **kwargs):
    return lmd.load("mnist", mirror=mirror.url, checksums=mirror.sums, **kwargs)


def test_download_then_load(cache, mirror):
    X, y = _load_mnist(mirror, split="train")
    assert X.shape == (N_SMALL["train"], 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (N_SMALL["train"],) and y.dtype == torch.int64
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0
    np.testing.assert_array_equal(y.numpy(), small_labels(N_SMALL["train"]))
    assert sorted(mirror.requests) == sorted(f"/{n}" for n in IDX_NAMES["train"])
    assert files_in(cache / "mnist") == sorted(IDX_NAMES["train"])  # nothing else left


def test_second_load_does_not_download_again(cache, mirror):
    X1, _ = _load_mnist(mirror, split="test")
    n_requests = len(mirror.requests)
    X2, _ = _load_mnist(mirror, split="test")
    assert len(mirror.requests) == n_requests == 2
    torch.testing.assert_close(X1, X2)
    X, y = _load_mnist(mirror, split="all")  # test files cached, train ones fetched
    assert X.shape[0] == y.shape[0] == N_SMALL["train"] + N_SMALL["test"]
    assert len(mirror.requests) == 4


def test_mirror_from_environment_and_root(cache, mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("LATENTMIX_MIRROR_MNIST", mirror.url.rstrip("/"))
    root = tmp_path / "mydata"
    X, _ = lmd.load("mnist", split="test", root=root, checksums=mirror.sums, verbose=False)
    assert X.shape[0] == N_SMALL["test"]
    assert files_in(root / "mnist") == sorted(IDX_NAMES["test"])
    assert files_in(cache) == []  # root given: nothing written into the cache


def test_checksum_mismatch_leaves_nothing(cache, mirror):
    wrong = dict(mirror.sums, **{"train-images-idx3-ubyte.gz": "0" * 64})
    with pytest.raises(DataError) as info:
        lmd.load("mnist", mirror=mirror.url, checksums=wrong)
    msg = str(info.value)
    assert f"{mirror.url}train-images-idx3-ubyte.gz" in msg
    assert "0" * 64 in msg and mirror.sums["train-images-idx3-ubyte.gz"] in msg
    assert "train-images-idx3-ubyte.gz" not in files_in(cache / "mnist")
    assert not [n for n in files_in(cache / "mnist") if n.startswith(".")]  # no temp file


def test_builtin_checksums_reject_other_files(cache, mirror):
    """Without an override, the real MNIST checksums apply: our small files are refused."""
    with pytest.raises(DataError, match="checksum mismatch.*440fcabf73cc546f"):
        lmd.load("mnist", mirror=mirror.url)
    assert files_in(cache / "mnist") == []


def _replace_and_serve(mirror, name, data):
    path = mirror.root / name
    path.write_bytes(data)
    return dict(mirror.sums, **{name: sha256(path)})


@pytest.mark.parametrize("corruption,message", [
    ("truncated-gzip", "truncated or corrupted gzip"),
    ("bad-magic", "bad magic number"),
    ("lying-length", "payload bytes"),
])
def test_corrupt_download_is_reported_and_removed(cache, mirror, corruption, message):
    name = "t10k-images-idx3-ubyte.gz"
    good = idx_bytes(np.zeros((N_SMALL["test"], 28, 28), np.uint8))
    data = {
        "truncated-gzip": gzip.compress(good)[:-40],
        "bad-magic": gzip.compress(b"\x1f\x8b" + good[2:]),
        "lying-length": gzip.compress(good[:-28]),
    }[corruption]
    sums = _replace_and_serve(mirror, name, data)
    with pytest.raises(DataError, match=message) as info:
        lmd.load("mnist", split="test", mirror=mirror.url, checksums=sums)
    assert name in str(info.value)
    assert name not in files_in(cache / "mnist")
    assert not [n for n in files_in(cache / "mnist") if n.startswith(".")]


def test_offline_nothing_found_lists_places(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("LATENTMIX_DATA", str(tmp_path / "shared"))
    with pytest.raises(DatasetNotFoundError) as info:
        lmd.load("mnist", root=tmp_path / "r", download=False)
    msg = str(info.value)
    for place in (tmp_path / "r" / "mnist", tmp_path / "r", tmp_path / "shared" / "mnist",
                  cache / "mnist"):
        assert f"- {place}\n" in msg
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in msg
    assert "LATENTMIX_DATA" in msg and "download=False" in msg


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_network_error_is_dataset_not_found(cache):
    url = _closed_port_url()
    with pytest.raises(DatasetNotFoundError, match=f"could not download {url}t10k-") as info:
        lmd.load("mnist", split="test", mirror=url)
    assert f"- {cache / 'mnist'}" in str(info.value)
    assert files_in(cache / "mnist") == []


def test_http_404_names_url(cache, mirror):
    (mirror.root / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"t10k-labels-idx1-ubyte\.gz: HTTP Error 404"):
        _load_mnist(mirror, split="test")
    assert not [n for n in files_in(cache / "mnist") if n.startswith(".")]


def test_lookup_order_root_env_cache(cache, monkeypatch, tmp_path):
    write_idx_dataset(cache / "mnist")
    env_dir = tmp_path / "env"
    write_idx_dataset(env_dir / "mnist")
    (env_dir / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.full(N_SMALL["test"], 7, np.uint8))))
    monkeypatch.setenv("LATENTMIX_DATA", str(env_dir))
    _, y = lmd.load("mnist", split="test", download=False)
    assert set(y.tolist()) == {7}  # $LATENTMIX_DATA before the cache
    root = tmp_path / "root"  # files directly in root, uncompressed names accepted
    root.mkdir()
    for name in IDX_NAMES["test"]:
        (root / name[:-3]).write_bytes(gzip.decompress((cache / "mnist" / name).read_bytes()))
    _, y = lmd.load("mnist", split="test", root=root, download=False)
    np.testing.assert_array_equal(y.numpy(), small_labels(N_SMALL["test"]))
    [info] = [i for i in lmd.list(root=root) if i.name == "mnist"]
    assert info.location == str(env_dir / "mnist")  # list() wants all files, root has test only


def test_system_copy_is_used(cache, monkeypatch, tmp_path):
    from latentmix.datasets import _locations

    write_idx_dataset(tmp_path / "system" / "fashion-mnist")
    monkeypatch.setattr(_locations, "SYSTEM_DATA_DIRS", (str(tmp_path / "system"),))
    X, _ = lmd.load("fashion-mnist", split="test", download=False)
    assert X.shape == (N_SMALL["test"], 1, 28, 28)
    [info] = [i for i in lmd.list() if i.name == "fashion-mnist"]
    assert info.cached and info.location == str(tmp_path / "system" / "fashion-mnist")


def test_cifar10_download_and_load(cache, monkeypatch, tmp_path):
    folder = tmp_path / "cifar-mirror"
    digest = write_cifar_archive(folder / "cifar-10-binary.tar.gz", n_per_batch=4)
    spec = dataclasses.replace(REGISTRY["cifar10"],
                               sha256={"cifar-10-binary.tar.gz": (digest,)})
    monkeypatch.setitem(REGISTRY, "cifar10", spec)
    with serve(folder) as served:
        X, y = lmd.load("cifar10", split="all", mirror=served.url)
        X_test, _ = lmd.load("cifar10", split="test", mirror=served.url)
        assert served.requests == ["/cifar-10-binary.tar.gz"]
    assert X.shape == (24, 3, 32, 32) and X.dtype == torch.float32
    assert y.dtype == torch.int64 and 0 <= int(y.min()) and int(y.max()) <= 9
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0
    torch.testing.assert_close(X[20:], X_test)


def test_svhn_download_and_load(cache, tmp_path):
    folder = tmp_path / "svhn-mirror"
    sums = {"train_32x32.mat": write_svhn_mat(folder / "train_32x32.mat", 15, seed=1),
            "test_32x32.mat": write_svhn_mat(folder / "test_32x32.mat", 10, seed=2)}
    with serve(folder) as served:
        X, y = lmd.load("svhn", split="train", mirror=served.url, checksums=sums)
        assert served.requests == ["/train_32x32.mat"]
    assert X.shape == (15, 3, 32, 32) and X.dtype == torch.float32
    assert y.tolist() == [(i % 10 + 1) % 10 for i in range(15)]
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0


def test_fetch_downloads_everything_once(cache, mirror):
    folder = lmd.fetch("mnist", mirror=mirror.url, checksums=mirror.sums, verbose=True)
    assert folder == cache / "mnist"
    assert files_in(folder) == sorted(mirror.sums)
    assert lmd.fetch("mnist", mirror=mirror.url, checksums=mirror.sums) == folder
    assert len(mirror.requests) == 4
