"""MNIST and Fashion-MNIST: find the files, download them if needed, load them as NumPy arrays.

    images, labels = load_mnist("train")                  # (60000, 28, 28) uint8, (60000,) uint8
    images, labels = load_mnist("test", "fashion-mnist")  # (10000, 28, 28) uint8, (10000,) uint8

Where the files come from, first match wins:

1. ``$DLTUI_DATASETS/<variant>/`` — a folder you filled yourself (offline machines, shared copies).
   The four files may be gzipped (``train-images-idx3-ubyte.gz``) or not (``train-images-idx3-ubyte``).
2. The cache, ``$DLTUI_CACHE/datasets/<variant>/`` (default ``~/.cache/dltui/datasets/<variant>/``).
3. A download from the public mirrors, tried in order, into the cache. A download is written to a
   temporary file, checked, then renamed into place, so an interrupted one leaves nothing behind.
   It is accepted when EITHER the md5 of the .gz matches the published one OR the md5 of the
   decompressed bytes does (some copies are recompressed, which changes the first but not the
   second). A file failing both is deleted and the next mirror is tried.

Set ``DLTUI_MIRRORS`` (base URLs separated by spaces or commas; ``{variant}`` is replaced by the
variant name) or pass ``mirrors=`` to use other mirrors, e.g. a local server in tests.

From a shell (cwd = labs/):  ``python -m labkit.datasets download mnist``  /  ``python -m labkit.datasets status``

MNIST: Y. LeCun, C. Cortes, C. J. C. Burges (CC BY-SA 3.0). Fashion-MNIST: Zalando Research (MIT).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .download import ChecksumMismatch, DataFile, DatasetUnavailable, fetch_file, md5_of
from .idx import IdxError, read_bytes, read_idx

__all__ = [
    "VARIANTS",
    "SPLITS",
    "load_mnist",
    "download",
    "ensure_file",
    "status",
    "locate",
    "cache_dir",
    "override_dir",
    "mirrors_for",
    "DataFile",
    "DatasetUnavailable",
    "ChecksumMismatch",
    "IdxError",
]


@dataclass(frozen=True)
class Variant:
    name: str
    title: str
    mirrors: tuple[str, ...]
    files: tuple[DataFile, ...]
    classes: tuple[str, ...]
    credit: str

    def file(self, stem: str) -> DataFile:
        return next(f for f in self.files if f.stem == stem)


VARIANTS: dict[str, Variant] = {
    "mnist": Variant(
        name="mnist",
        title="MNIST",
        # The mirrors torchvision uses; the original yann.lecun.com host now refuses downloads.
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        files=(
            DataFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb", 47_040_016),
            DataFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624", 60_008),
            DataFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea", 7_840_016),
            DataFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637", 10_008),
        ),
        classes=tuple(str(d) for d in range(10)),
        credit="MNIST: Y. LeCun, C. Cortes, C. J. C. Burges (CC BY-SA 3.0)",
    ),
    "fashion-mnist": Variant(
        name="fashion-mnist",
        title="Fashion-MNIST",
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        files=(
            DataFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", None, 47_040_016),
            DataFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", None, 60_008),
            DataFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", None, 7_840_016),
            DataFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", None, 10_008),
        ),
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        credit="Fashion-MNIST: Han Xiao, Kashif Rasul, Roland Vollgraf, Zalando Research (MIT)",
    ),
}

SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# ----------------------------------------------------------------------------- where files live


def variant_info(variant: str) -> Variant:
    try:
        return VARIANTS[variant]
    except KeyError:
        raise ValueError(f"unknown dataset {variant!r}; choose one of: {', '.join(VARIANTS)}") from None


def override_dir(variant: str) -> Path | None:
    """``$DLTUI_DATASETS/<variant>`` when DLTUI_DATASETS is set."""
    root = os.environ.get("DLTUI_DATASETS")
    return Path(root).expanduser() / variant if root else None


def cache_dir(variant: str) -> Path:
    """Where downloads go: ``$DLTUI_CACHE/datasets/<variant>``, default ``~/.cache/dltui/datasets/<variant>``."""
    root = os.environ.get("DLTUI_CACHE")
    if root:
        base = Path(root).expanduser()
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "dltui"
    return base / "datasets" / variant


def mirrors_for(variant: str, mirrors: list[str] | None = None) -> list[str]:
    """The mirror base URLs to try, in order: the argument, else ``$DLTUI_MIRRORS``, else the defaults."""
    if mirrors is None and os.environ.get("DLTUI_MIRRORS"):
        mirrors = [m for m in re.split(r"[\s,]+", os.environ["DLTUI_MIRRORS"]) if m]
    if mirrors is None:
        mirrors = list(variant_info(variant).mirrors)
    return [m.replace("{variant}", variant) for m in mirrors]


def _present_in(folder: Path | None, stem: str) -> Path | None:
    if folder is None:
        return None
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def locate(variant: str, stem: str) -> tuple[Path, str] | None:
    """Where a file is found locally, as (path, "override" | "cache"), or None."""
    for folder, source in ((override_dir(variant), "override"), (cache_dir(variant), "cache")):
        found = _present_in(folder, stem)
        if found:
            return found, source
    return None


# ----------------------------------------------------------------------------- the public calls


def _unavailable(variant: Variant, stem: str, why: str) -> DatasetUnavailable:
    over = override_dir(variant.name)
    names = ", ".join(f.name for f in variant.files)
    looked = [f"{over} (DLTUI_DATASETS)" if over else "DLTUI_DATASETS (not set)", f"{cache_dir(variant.name)} (cache)"]
    return DatasetUnavailable(
        f"{variant.title} file {stem}(.gz) is not available.\n"
        f"Looked in: {'; '.join(looked)}.\n{why}\n"
        f"To fix it, either connect to the internet and run `dltui data download {variant.name}` "
        f"(or `python -m labkit.datasets download {variant.name}` from labs/), or copy the four files "
        f"{names} into a folder DIR/{variant.name}/ and set DLTUI_DATASETS=DIR."
    )


def ensure_file(variant: str, stem: str, mirrors: list[str] | None = None, download: bool = True, progress: bool = True) -> Path:
    """The local path of one dataset file, downloading it into the cache when it is missing."""
    info = variant_info(variant)
    found = locate(variant, stem)
    if found:
        return found[0]
    if not download:
        raise _unavailable(info, stem, "Downloading was turned off.")
    urls = mirrors_for(variant, mirrors)
    try:
        return fetch_file(info.file(stem), cache_dir(variant), urls, progress=progress)
    except DatasetUnavailable as exc:
        raise _unavailable(info, stem, str(exc)) from None


def download(variant: str, mirrors: list[str] | None = None, force: bool = False, progress: bool = True) -> list[Path]:
    """Make sure all four files of `variant` are present locally (download what is missing)."""
    info = variant_info(variant)
    paths = []
    for spec in info.files:
        if force:
            for stale in (cache_dir(variant) / spec.name, cache_dir(variant) / spec.stem):
                stale.unlink(missing_ok=True)
        paths.append(ensure_file(variant, spec.stem, mirrors, progress=progress))
    return paths


def _read_checked(path: Path, ndim: int):
    import numpy as np

    array = read_idx(path, ndim=ndim)
    if array.dtype != np.uint8:
        raise IdxError(f"{path}: elements are {array.dtype}, expected unsigned bytes (type 0x08)")
    if ndim == 3 and array.shape[1:] != (28, 28):
        raise IdxError(f"{path}: images are {array.shape[1]}x{array.shape[2]}, expected 28x28")
    return array


def _load_file(variant: str, stem: str, ndim: int, mirrors, download: bool):
    path = ensure_file(variant, stem, mirrors, download)
    try:
        return _read_checked(path, ndim)
    except IdxError as exc:
        # A broken file you placed yourself is yours to replace; a broken cached one we fetch again.
        if path.parent != cache_dir(variant) or not download:
            raise
        print(f"warning: {exc}; deleting the cached copy and downloading it again", file=sys.stderr)
        path.unlink(missing_ok=True)
        return _read_checked(ensure_file(variant, stem, mirrors, download), ndim)


def load_mnist(split: str, variant: str = "mnist", mirrors: list[str] | None = None, download: bool = True):
    """Images ``(N, 28, 28)`` uint8 and labels ``(N,)`` uint8 of the "train" or "test" split."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    info = variant_info(variant)
    image_stem, label_stem = SPLITS[split]
    images = _load_file(variant, image_stem, 3, mirrors, download)
    labels = _load_file(variant, label_stem, 1, mirrors, download)
    if len(images) != len(labels):
        raise IdxError(f"{info.title} {split}: {len(images)} images but {len(labels)} labels")
    if len(labels) and int(labels.max()) >= len(info.classes):
        raise IdxError(f"{info.title} {split}: label {int(labels.max())} out of range 0-{len(info.classes) - 1}")
    return images, labels


def status(variant: str, verify: bool = False) -> list[dict]:
    """One record per file: where it is (override / cache / missing), its size, and with `verify`
    whether its checksum matches ("ok", "mismatch", or "unchecked" for a file you placed yourself
    whose checksum is not known)."""
    info = variant_info(variant)
    rows = []
    for spec in info.files:
        found = locate(variant, spec.stem)
        row = {"variant": variant, "file": spec.name, "source": "missing", "path": None, "bytes": None}
        if found:
            path, source = found
            row.update(source=source, path=str(path), bytes=path.stat().st_size)
            if verify:
                try:
                    data = path.read_bytes()
                    ok = md5_of(data) == spec.gz_md5 or (spec.raw_md5 is not None and md5_of(read_bytes(path)) == spec.raw_md5)
                    row["checksum"] = "ok" if ok else ("unchecked" if spec.raw_md5 is None else "mismatch")
                except IdxError:
                    row["checksum"] = "mismatch"
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labkit.datasets", description="MNIST / Fashion-MNIST files for the labs.")
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("download", help="download the files that are not present yet")
    get.add_argument("variants", nargs="+", choices=[*VARIANTS, "all"])
    get.add_argument("--mirror", action="append", help="a mirror base URL to use instead of the defaults (repeatable)")
    get.add_argument("--force", action="store_true", help="download again even if a cached copy exists")
    get.add_argument("--quiet", action="store_true", help="no progress bar")
    show = sub.add_parser("status", help="show where each file is found")
    show.add_argument("variants", nargs="*", metavar="{" + ",".join([*VARIANTS, "all"]) + "}")
    show.add_argument("--verify", action="store_true", help="also check the md5 of each file")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    unknown = [v for v in args.variants if v not in VARIANTS and v != "all"]
    if unknown:
        parser.error(f"unknown dataset {unknown[0]!r}; choose from {', '.join(VARIANTS)}, all")
    wanted = args.variants or ["all"]
    variants = list(VARIANTS) if "all" in wanted else list(dict.fromkeys(wanted))

    if args.command == "download":
        for variant in variants:
            try:
                paths = download(variant, args.mirror, force=args.force, progress=not args.quiet)
            except DatasetUnavailable as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"{VARIANTS[variant].title}: ready ({', '.join(str(p) for p in paths)})")
            print(f"  {VARIANTS[variant].credit}")
        return 0

    rows = [row for variant in variants for row in status(variant, verify=args.verify)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for variant in variants:
        print(f"{VARIANTS[variant].title}  (override: {override_dir(variant) or 'DLTUI_DATASETS not set'}; cache: {cache_dir(variant)})")
        for row in (r for r in rows if r["variant"] == variant):
            where = row["path"] or "-"
            size = f"{row['bytes']:,} B" if row["bytes"] is not None else ""
            check = f"  checksum {row['checksum']}" if "checksum" in row else ""
            print(f"  {row['file']:<28} {row['source']:<8} {size:>14}  {where}{check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
