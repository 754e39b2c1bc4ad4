"""Fetching one dataset file from a list of mirrors, with a progress bar and checksum check.

`fetch_file` tries each mirror in order. A download is held in memory, checked, written to a
temporary file next to its final name and renamed into place: an interrupted download never
leaves a half file where a loader would find it. A file is accepted when EITHER the md5 of the
.gz matches the published one OR the md5 of its decompressed bytes does (recompressing a .gz
changes the first, never the second). A file failing both is discarded and the next mirror tried.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset and the checksums a download must match (either one)."""

    name: str  # as published, e.g. "train-images-idx3-ubyte.gz"
    gz_md5: str  # md5 of the .gz as the mirrors publish it
    raw_md5: str | None  # md5 of the decompressed bytes (None: unknown, only gz_md5 is checked)
    raw_size: int  # size of the decompressed bytes

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".gz")


class DatasetUnavailable(RuntimeError):
    """No local copy and no download possible. The message says what to do."""


class ChecksumMismatch(ValueError):
    """A downloaded file matches neither the published .gz md5 nor the decompressed md5."""


def md5_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def check_download(data: bytes, spec: DataFile) -> str:
    """Return "gz" or "raw" (what the bytes are) if they match a checksum; else raise ChecksumMismatch."""
    digest = md5_of(data)
    if data[:2] == b"\x1f\x8b":
        if digest == spec.gz_md5:
            return "gz"
        try:
            raw_digest = md5_of(gzip.decompress(data))
        except Exception as exc:  # broken gzip: certainly not the published file
            raise ChecksumMismatch(
                f"{spec.name}: .gz md5 {digest} is not the published {spec.gz_md5}, and it does not decompress ({exc})"
            ) from exc
        if spec.raw_md5 and raw_digest == spec.raw_md5:
            return "gz"
        expected = f"the published .gz md5 {spec.gz_md5}" + (f" or decompressed md5 {spec.raw_md5}" if spec.raw_md5 else "")
        raise ChecksumMismatch(f"{spec.name}: md5 {digest} (decompressed {raw_digest}) matches neither {expected}")
    # Some servers hand out the file already gunzipped: accept it on the decompressed checksum.
    if spec.raw_md5 and digest == spec.raw_md5:
        return "raw"
    raise ChecksumMismatch(f"{spec.name}: not gzip data and md5 {digest} is not the expected decompressed md5 {spec.raw_md5}")


class _ProgressBar:
    """A one-line progress bar on stderr (a new line every 10% when stderr is not a terminal)."""

    def __init__(self, label: str, total: int | None, enabled: bool = True):
        self.label, self.total, self.enabled = label, total, enabled
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self.last_tenth = -1
        self.last_draw = 0.0

    def update(self, done: int, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        rate = done / max(now - self.start, 1e-6) / 1e6
        if self.total:
            fraction = min(done / self.total, 1.0)
            bar = "#" * int(fraction * 30)
            text = f"{self.label:<28} [{bar:<30}] {fraction:6.1%} {done / 1e6:6.1f}/{self.total / 1e6:.1f} MB {rate:5.1f} MB/s"
            tenth = int(fraction * 10)
        else:
            text = f"{self.label:<28} {done / 1e6:6.1f} MB {rate:5.1f} MB/s"
            tenth = int(done // 5_000_000)
        if self.tty:
            if final or now - self.last_draw > 0.1:
                self.last_draw = now
                sys.stderr.write("\r" + text + ("\n" if final else ""))
                sys.stderr.flush()
        elif final or tenth > self.last_tenth:
            self.last_tenth = tenth
            print(text, file=sys.stderr, flush=True)


def _get(url: str, label: str, progress: bool, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "dltui-datasets/1"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        bar = _ProgressBar(label, int(length) if length and length.isdigit() else None, progress)
        chunks, done = [], 0
        while chunk := response.read(1 << 16):
            chunks.append(chunk)
            done += len(chunk)
            bar.update(done)
        bar.update(done, final=True)
    data = b"".join(chunks)
    if length and length.isdigit() and len(data) != int(length):
        raise OSError(f"connection closed early: got {len(data):,} of {int(length):,} bytes")
    return data


def fetch_file(spec: DataFile, dest_dir: str | os.PathLike, mirrors: list[str], progress: bool = True, timeout: float = 30.0) -> Path:
    """Download `spec` from the first mirror that serves a file with a matching checksum.

    Writes to a temporary file in `dest_dir` and renames it into place. Raises DatasetUnavailable
    listing what went wrong at each mirror when none worked.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    problems = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + spec.name
        try:
            data = _get(url, spec.name, progress, timeout)
            kind = check_download(data, spec)
        except ChecksumMismatch as exc:
            problems.append(f"{url}: corrupted download, deleted ({exc})")
            print(f"warning: {problems[-1]}; trying the next mirror", file=sys.stderr)
            continue
        except (urllib.error.URLError, OSError, ValueError) as exc:  # HTTPError is a URLError
            problems.append(f"{url}: {getattr(exc, 'reason', None) or exc}")
            continue
        final = dest_dir / (spec.name if kind == "gz" else spec.stem)
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=dest_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return final
    raise DatasetUnavailable("could not download " + spec.name + ":\n  " + "\n  ".join(problems or ["no mirrors given"]))
