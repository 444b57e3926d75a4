"""The IDX, CIFAR-10 binary and SVHN readers on small files written in the real formats."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import scipy.io
from _datasets_helpers import (
    cifar_records,
    idx_bytes,
    write_cifar_archive,
    write_idx,
    write_svhn_mat,
)

from latentmix.datasets import read_idx
from latentmix.datasets._cifar import read_cifar_archive
from latentmix.datasets._svhn import read_svhn_mat
from latentmix.exceptions import DataError


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip_ubyte(tmp_path, gz):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / "a-idx3-ubyte.gz", arr, gz=gz)
    out = read_idx(path)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("code,dtype", [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
                                        (0x0D, np.float32), (0x0E, np.float64)])
def test_idx_other_dtypes_come_back_native(tmp_path, code, dtype):
    arr = (np.arange(10) - 5).astype(dtype).reshape(5, 2)
    out = read_idx(write_idx(tmp_path / "x.gz", arr, code=code))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_idx_bad_magic_names_file(tmp_path):
    data = bytearray(idx_bytes(np.zeros((2, 2), np.uint8)))
    data[0] = 0x12
    path = tmp_path / "bad-magic.gz"
    path.write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(DataError, match=r"bad-magic\.gz.*bad magic number"):
        read_idx(path)


def test_idx_unknown_dtype_code(tmp_path):
    data = bytearray(idx_bytes(np.zeros((2, 2), np.uint8)))
    data[2] = 0x07
    (tmp_path / "code").write_bytes(bytes(data))
    with pytest.raises(DataError, match="unknown IDX type code 0x07"):
        read_idx(tmp_path / "code")


@pytest.mark.parametrize("delta", [-1, 1])
def test_idx_file_lying_about_its_length(tmp_path, delta):
    data = idx_bytes(np.zeros((3, 4, 4), np.uint8))
    data = data[:delta] if delta < 0 else data + b"\0"
    path = tmp_path / "liar-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(data))
    with pytest.raises(DataError, match=r"liar-idx3-ubyte\.gz.*\(3, 4, 4\).*48 payload bytes"):
        read_idx(path)


def test_idx_header_cut_short(tmp_path):
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(DataError, match="header is cut short"):
        read_idx(tmp_path / "short")


def test_truncated_gzip(tmp_path):
    blob = gzip.compress(idx_bytes(np.arange(1000, dtype=np.uint8).reshape(10, 100)))
    path = tmp_path / "cut.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match=r"cut\.gz is a truncated or corrupted gzip"):
        read_idx(path)


def test_cifar_archive_reader(tmp_path):
    path = tmp_path / "cifar-10-binary.tar.gz"
    write_cifar_archive(path, n_per_batch=3)
    X, y = read_cifar_archive(path, "train")
    assert X.shape == (15, 3, 32, 32) and X.dtype == np.uint8
    assert y.dtype == np.int64 and y.shape == (15,)
    raw = np.frombuffer(cifar_records(3, 1), np.uint8).reshape(3, 3073)
    np.testing.assert_array_equal(X[:3].reshape(3, -1), raw[:, 1:])  # channel-major records
    X, y = read_cifar_archive(path, "test")
    assert X.shape == (3, 3, 32, 32)


def test_cifar_batch_length_not_a_multiple_of_record(tmp_path):
    path = tmp_path / "cifar-10-binary.tar.gz"
    write_cifar_archive(path, test_blob=cifar_records(2, 0)[:-5])
    with pytest.raises(DataError, match="not a positive multiple of the 3073-byte record"):
        read_cifar_archive(path, "test")


def test_cifar_truncated_archive(tmp_path):
    path = tmp_path / "cifar-10-binary.tar.gz"
    write_cifar_archive(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match="truncated or corrupted archive"):
        read_cifar_archive(path, "train")


def test_svhn_reader_maps_10_to_0(tmp_path):
    path = tmp_path / "train_32x32.mat"
    write_svhn_mat(path, 12, seed=0)
    X, y = read_svhn_mat(path)
    assert X.shape == (12, 3, 32, 32) and X.dtype == np.uint8
    np.testing.assert_array_equal(y, (np.arange(12) % 10 + 1) % 10)  # stored 1..10, 10 is 0
    stored = scipy.io.loadmat(str(path))["X"]  # (H, W, C, N)
    assert X[5, 2, 7, 11] == stored[7, 11, 2, 5]


def test_svhn_not_a_mat_file(tmp_path):
    path = tmp_path / "test_32x32.mat"
    path.write_bytes(b"this is not MATLAB" * 20)
    with pytest.raises(DataError, match=r"test_32x32\.mat"):
        read_svhn_mat(path)


def test_idx_pair_checks_shape_counts_and_labels(tmp_path):
    from latentmix.datasets._idx import load_idx_split

    images = write_idx(tmp_path / "img.gz", np.zeros((4, 28, 28), np.uint8))
    X, y = load_idx_split(images, write_idx(tmp_path / "lab.gz", np.arange(4, dtype=np.uint8)),
                          (1, 28, 28), 10)
    assert X.shape == (4, 1, 28, 28) and y.dtype == np.int64
    few = write_idx(tmp_path / "few.gz", np.arange(3, dtype=np.uint8))
    with pytest.raises(DataError, match=r"few\.gz: expected 4 labels"):
        load_idx_split(images, few, (1, 28, 28), 10)
    big = write_idx(tmp_path / "big.gz", np.array([0, 1, 2, 11], np.uint8))
    with pytest.raises(DataError, match=r"big\.gz: labels must lie in \[0, 9\]"):
        load_idx_split(images, big, (1, 28, 28), 10)
    small = write_idx(tmp_path / "small.gz", np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(DataError, match=r"small\.gz: expected uint8 images of shape \(N, 28, 28\)"):
        load_idx_split(small, few, (1, 28, 28), 10)
