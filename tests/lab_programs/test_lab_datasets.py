"""labkit.datasets and labkit.idx on IDX files the tests write, and downloads from a local HTTP mirror."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from fake_mnist import STEMS, fake_split, idx_bytes, write_dataset
from lab_runs import LABS, lab_env
from labkit import datasets
from labkit.datasets import DataFile, DatasetUnavailable, IdxError, load_mnist
from labkit.idx import parse_idx, read_idx


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# ----------------------------------------------------------------------------- IDX parsing


def test_parse_roundtrip_keeps_values_shape_and_dtype():
    images, _ = fake_split(5, seed=1)
    out = parse_idx(idx_bytes(images), ndim=3)
    assert out.dtype == np.uint8 and out.shape == (5, 28, 28)
    np.testing.assert_array_equal(out, images)
    assert out.flags.writeable  # a copy, not a read-only view of the bytes


def test_bad_magic_is_rejected_with_a_clear_message():
    data = bytearray(idx_bytes(np.zeros((2, 28, 28), np.uint8)))
    data[0] = 0x12
    with pytest.raises(IdxError, match="bad magic number"):
        parse_idx(bytes(data), name="x")
    data[0], data[2] = 0, 0x42  # unknown element type
    with pytest.raises(IdxError, match="bad magic number"):
        parse_idx(bytes(data), name="x")


def test_truncated_and_overlong_files_are_rejected():
    data = idx_bytes(np.ones((3, 28, 28), np.uint8))
    with pytest.raises(IdxError, match=r"truncated.*\(3, 28, 28\)"):
        parse_idx(data[:-10], name="images")
    with pytest.raises(IdxError, match="trailing bytes"):
        parse_idx(data + b"\0", name="images")
    with pytest.raises(IdxError, match="truncated header"):
        parse_idx(data[:9], name="images")
    with pytest.raises(IdxError, match="too short"):
        parse_idx(b"\0\0", name="images")


def test_wrong_number_of_dimensions_is_rejected():
    with pytest.raises(IdxError, match="has 1 dimensions, expected 3"):
        parse_idx(idx_bytes(np.zeros(4, np.uint8)), name="labels", ndim=3)


def test_big_endian_types_are_decoded(tmp_path):
    values = np.array([1, -2, 300], dtype=">i4")
    data = bytes([0, 0, 0x0C, 1]) + (3).to_bytes(4, "big") + values.tobytes()
    (tmp_path / "ints.gz").write_bytes(gzip.compress(data))
    assert read_idx(tmp_path / "ints.gz").tolist() == [1, -2, 300]


# ----------------------------------------------------------------------------- local lookups


def test_load_from_the_override_folder_gz_and_raw(dataset_env):
    folder = dataset_env / "datasets" / "mnist"
    arrays = write_dataset(folder, n_train=30, n_test=12, gz=True)
    # Replace the test split by uncompressed files: both forms must load.
    for stem in STEMS["test"]:
        (folder / f"{stem}.gz").unlink()
    for stem, array in zip(STEMS["test"], arrays["test"]):
        (folder / stem).write_bytes(idx_bytes(array))
    for split, n in (("train", 30), ("test", 12)):
        images, labels = load_mnist(split)
        assert images.shape == (n, 28, 28) and labels.shape == (n,)
        assert images.dtype == np.uint8 and labels.dtype == np.uint8
        np.testing.assert_array_equal(images, arrays[split][0])
        np.testing.assert_array_equal(labels, arrays[split][1])


def test_override_wins_over_cache_and_cache_is_used_without_override(dataset_env, monkeypatch):
    write_dataset(dataset_env / "datasets" / "fashion-mnist", n_train=10, n_test=4)
    write_dataset(dataset_env / "cache" / "datasets" / "fashion-mnist", n_train=20, n_test=4, seed=5)
    assert len(load_mnist("train", "fashion-mnist")[0]) == 10
    monkeypatch.delenv("DLTUI_DATASETS")
    assert len(load_mnist("train", "fashion-mnist")[0]) == 20
    # and MNIST is a separate folder: not found, and the mirror is unreachable
    with pytest.raises(DatasetUnavailable):
        load_mnist("train", "mnist")


def test_corrupted_local_files_give_errors_naming_the_file(dataset_env):
    folder = dataset_env / "datasets" / "mnist"
    write_dataset(folder, n_train=10, n_test=4)
    gz = folder / "t10k-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-30])  # a cut-off download
    with pytest.raises(IdxError, match="t10k-images-idx3-ubyte.gz.*(broken|truncated)"):
        load_mnist("test")
    # Labels count differs from images count
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(9, np.uint8))))
    with pytest.raises(IdxError, match="10 images but 9 labels"):
        load_mnist("train")
    # Images that are not 28x28, and labels out of range
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((9, 14, 14), np.uint8))))
    with pytest.raises(IdxError, match="14x14, expected 28x28"):
        load_mnist("train")
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((9, 28, 28), np.uint8))))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.full(9, 12, np.uint8))))
    with pytest.raises(IdxError, match="label 12 out of range"):
        load_mnist("train")


def test_bad_arguments_are_rejected(dataset_env):
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")
    with pytest.raises(ValueError, match="unknown dataset"):
        load_mnist("train", "cifar")


# ----------------------------------------------------------------------------- downloads


def serve_fake_mnist(www, name: str = "good", n_train: int = 16, n_test: int = 8) -> dict[str, bytes]:
    """Put a gzipped fake MNIST under www/name; returns the raw (decompressed) bytes by file name."""
    arrays = write_dataset(www / name, n_train=n_train, n_test=n_test)
    raw = {}
    for split in ("train", "test"):
        for stem, array in zip(STEMS[split], arrays[split]):
            raw[f"{stem}.gz"] = idx_bytes(array)
    return raw


def use_checksums(monkeypatch, specs: dict[str, DataFile]) -> None:
    variant = datasets.VARIANTS["mnist"]
    files = tuple(specs[f.name] for f in variant.files)
    monkeypatch.setitem(datasets.VARIANTS, "mnist", replace(variant, files=files))


def test_download_accepted_on_the_published_gz_md5(dataset_env, http_mirror, monkeypatch, capsys):
    base, www = http_mirror
    raw = serve_fake_mnist(www)
    specs = {n: DataFile(n, md5((www / "good" / n).read_bytes()), None, len(r)) for n, r in raw.items()}
    use_checksums(monkeypatch, specs)
    images, labels = load_mnist("train", mirrors=[f"{base}/good/"])
    assert images.shape == (16, 28, 28)
    cached = sorted(p.name for p in (dataset_env / "cache" / "datasets" / "mnist").iterdir())
    assert cached == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]  # only what was needed
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err  # the progress bar went to stderr


def test_download_accepted_on_the_decompressed_md5(dataset_env, http_mirror, monkeypatch):
    base, www = http_mirror
    raw = serve_fake_mnist(www)
    # A recompressed copy: its .gz md5 is not the published one, its content's md5 is.
    specs = {n: DataFile(n, "0" * 32, md5(r), len(r)) for n, r in raw.items()}
    use_checksums(monkeypatch, specs)
    monkeypatch.setenv("DLTUI_MIRRORS", f"{base}/good/")  # the env override of the mirror list
    images, labels = load_mnist("test")
    assert len(images) == len(labels) == 8
    # Without the decompressed checksum the same file is refused.
    specs = {n: DataFile(n, "0" * 32, None, len(r)) for n, r in raw.items()}
    use_checksums(monkeypatch, specs)
    with pytest.raises(DatasetUnavailable, match="corrupted download"):
        load_mnist("train")


def test_corrupted_mirror_is_skipped_for_the_next_one(dataset_env, http_mirror, monkeypatch, capsys):
    base, www = http_mirror
    raw = serve_fake_mnist(www, "good")
    bad = www / "bad"
    bad.mkdir()
    for name in raw:
        data = bytearray((www / "good" / name).read_bytes())
        data[len(data) // 2] ^= 0xFF  # one flipped byte
        (bad / name).write_bytes(bytes(data))
    specs = {n: DataFile(n, md5((www / "good" / n).read_bytes()), md5(r), len(r)) for n, r in raw.items()}
    use_checksums(monkeypatch, specs)
    paths = datasets.download("mnist", mirrors=[f"{base}/missing/", f"{base}/bad/", f"{base}/good/"], progress=False)
    assert [p.read_bytes() for p in paths] == [(www / "good" / p.name).read_bytes() for p in paths]
    assert "corrupted download" in capsys.readouterr().err
    leftovers = [p.name for p in paths[0].parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporary files left behind


def test_only_corrupted_mirrors_means_a_clear_error_and_nothing_cached(dataset_env, http_mirror, monkeypatch):
    base, www = http_mirror
    raw = serve_fake_mnist(www, "good")
    specs = {n: DataFile(n, "1" * 32, "2" * 32, len(r)) for n, r in raw.items()}
    use_checksums(monkeypatch, specs)
    with pytest.raises(DatasetUnavailable) as info:
        load_mnist("train", mirrors=[f"{base}/good/"])
    message = str(info.value)
    assert "corrupted download" in message and "DLTUI_DATASETS" in message
    cache = dataset_env / "cache" / "datasets" / "mnist"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_offline_error_says_what_to_do(dataset_env):
    with pytest.raises(DatasetUnavailable) as info:
        load_mnist("train")  # DLTUI_MIRRORS points at a closed port
    message = str(info.value)
    for needed in ("dltui data download mnist", "DLTUI_DATASETS", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "127.0.0.1:9"):
        assert needed in message


def test_broken_cached_file_is_downloaded_again(dataset_env, http_mirror, monkeypatch):
    base, www = http_mirror
    raw = serve_fake_mnist(www)
    specs = {n: DataFile(n, md5((www / "good" / n).read_bytes()), None, len(r)) for n, r in raw.items()}
    use_checksums(monkeypatch, specs)
    monkeypatch.delenv("DLTUI_DATASETS")
    cache = dataset_env / "cache" / "datasets" / "mnist"
    cache.mkdir(parents=True)
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    _, labels = load_mnist("test", mirrors=[f"{base}/good/"])
    assert len(labels) == 8
    assert (cache / "t10k-labels-idx1-ubyte.gz").read_bytes() == (www / "good" / "t10k-labels-idx1-ubyte.gz").read_bytes()


# ----------------------------------------------------------------------------- command line


def run_cli(args, tmp_path, **env):
    return subprocess.run(
        [sys.executable, "-m", "labkit.datasets", *args],
        cwd=LABS,
        env=lab_env(tmp_path / "run", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_status_and_failed_download(tmp_path, http_mirror):
    base, www = http_mirror
    serve_fake_mnist(www, "good")  # real checksums: these fake files must be refused
    write_dataset(tmp_path / "datasets" / "fashion-mnist", n_train=4, n_test=2, gz=False)
    env = {"DLTUI_DATASETS": str(tmp_path / "datasets"), "DLTUI_CACHE": str(tmp_path / "cache")}

    status = run_cli(["status", "--json"], tmp_path, **env)
    assert status.returncode == 0, status.stderr
    rows = {(r["variant"], r["file"]): r for r in json.loads(status.stdout)}
    assert rows[("fashion-mnist", "train-images-idx3-ubyte.gz")]["source"] == "override"
    assert rows[("mnist", "train-images-idx3-ubyte.gz")]["source"] == "missing"

    failed = run_cli(["download", "mnist", "--quiet"], tmp_path, DLTUI_MIRRORS=f"{base}/good/", **env)
    assert failed.returncode == 1
    assert "corrupted download" in failed.stderr and "DLTUI_DATASETS" in failed.stderr
    assert not any((tmp_path / "cache" / "datasets" / "mnist").glob("*ubyte*"))

    bad = run_cli(["download", "imagenet"], tmp_path, **env)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
