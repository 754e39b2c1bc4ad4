"""Tiny fake MNIST files for tests, written from the IDX format's description (not with labkit.idx)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    """The IDX encoding of a uint8 array, written from the format's description."""
    header = struct.pack(">HBB", 0, type_byte, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def fake_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n random 28x28 'digits' whose label is readable from the picture (class c lights row band c)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
    for i, c in enumerate(labels):
        images[i, 2 * c + 4 : 2 * c + 6, 4:24] = 250  # a learnable signal
    return images, labels


def write_dataset(folder: Path, n_train: int = 120, n_test: int = 40, gz: bool = True, seed: int = 0) -> dict:
    """Write the four files of a fake MNIST into `folder`; returns the arrays by split."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = fake_split(n, seed + (split == "test"))
        arrays[split] = (images, labels)
        for stem, array in zip(STEMS[split], (images, labels)):
            data = idx_bytes(array)
            if gz:
                (folder / f"{stem}.gz").write_bytes(gzip.compress(data, mtime=0))
            else:
                (folder / stem).write_bytes(data)
    return arrays
