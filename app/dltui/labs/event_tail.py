"""Reading a run's ``events.jsonl`` as it grows: by byte offset, tolerant of anything a lab writes.

The file is the source of truth for a run, and labs are programs we do not control, so every
line is suspect: a line that is not a JSON object with a ``type`` is counted and skipped, a line
longer than `MAX_LINE_BYTES` is counted and skipped without ever being held whole in memory, and
an event of a type we do not know is kept as it is (the UI shows it raw). A line still being
written (no newline yet) waits for the next read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_LINE_BYTES = 1 << 20  # 1 MiB: far above any real event, small enough to never hurt
_decode = json.JSONDecoder().decode  # skips json.loads' per-call argument checks
KNOWN_TYPES = frozenset({"start", "metrics", "progress", "checkpoint", "log", "artifact", "end"})
# One event as a lab wrote it: a JSON object whose "type" is a string. Every other field is
# unchecked (a lab is a program we do not control): readers narrow what they take from it.
Event = dict[str, object]


@dataclass
class EventTail:
    """Reads new complete lines from one events file each time `read` is called."""

    path: Path
    max_line_bytes: int = MAX_LINE_BYTES
    offset: int = 0  # bytes consumed so far (always at a line boundary or inside a skipped line)
    events: int = 0  # valid events returned so far
    malformed: int = 0  # lines that were not a JSON object with a string "type"
    oversized: int = 0  # lines longer than max_line_bytes
    unknown: int = 0  # valid events of a type this reader does not know (kept, counted)
    _partial: bytearray = field(default_factory=bytearray, repr=False)
    _skipping: bool = field(default=False, repr=False)  # inside an oversized line

    @property
    def skipped(self) -> int:
        return self.malformed + self.oversized

    def read(self, max_bytes: int = 4 << 20, final: bool = False) -> list[Event]:
        """New events since the last call, reading at most ``max_bytes``.

        ``final=True`` (the writer has exited) also takes a last line that has no newline.
        """
        return list(self.stream(max_bytes, final))

    def stream(self, max_bytes: int = 4 << 20, final: bool = False) -> Iterator[Event]:
        """Like `read`, one event at a time.

        Handing events over one by one lets each parsed dict die young: a list of thousands
        alive at once would survive into the old generation and make the garbage collector's
        full passes (which pause the TUI) frequent.
        """
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return
        if size < self.offset:  # the file was replaced or truncated: start over
            self.offset, self._partial, self._skipping = 0, bytearray(), False
        if size > self.offset:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(min(max_bytes, size - self.offset))
            self.offset += len(chunk)
            yield from self._consume(chunk)
        if final and self.offset >= size and self._partial and not self._skipping:
            line, self._partial = bytes(self._partial), bytearray()
            event = self._take(line)
            if event is not None:
                yield event

    def _consume(self, chunk: bytes) -> Iterator[Event]:
        pieces = chunk.split(b"\n")  # in C: much faster than finding newlines one by one
        last = pieces.pop()  # after the last newline: the start of a line not yet finished
        take = self._take
        for index, piece in enumerate(pieces):
            if index == 0:
                if self._skipping:  # the end of an oversized line: drop it
                    self._skipping = False
                    continue
                if self._partial:
                    piece, self._partial = bytes(self._partial) + piece, bytearray()
            if len(piece) > self.max_line_bytes:
                self.oversized += 1
                continue
            event = take(piece)
            if event is not None:
                yield event
        if self._skipping:
            return
        if len(self._partial) + len(last) > self.max_line_bytes:
            self.oversized += 1
            self._partial, self._skipping = bytearray(), True
        else:
            self._partial += last

    def _take(self, line: bytes) -> Event | None:
        if not line or line.isspace():
            return None
        try:
            event: object = _decode(line.decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            self.malformed += 1
            return None
        if type(event) is not dict or type(kind := event.get("type")) is not str:
            self.malformed += 1
            return None
        if kind not in KNOWN_TYPES:
            self.unknown += 1
        self.events += 1
        return event

    @property
    def pending(self) -> bool:
        """True while bytes are waiting to be read (the caller hit its byte budget)."""
        try:
            return os.path.getsize(self.path) > self.offset
        except OSError:
            return False


def read_all(path: Path) -> tuple[list[Event], EventTail]:
    """Every event in a finished file, with the tail that counted what was skipped."""
    tail = EventTail(path)
    events: list[Event] = []
    while True:
        batch = tail.read(final=True)
        events += batch
        if not tail.pending:
            return events, tail
