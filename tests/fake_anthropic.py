"""A fake Anthropic Messages API on 127.0.0.1 for tests: the real SDK talks to it over HTTP.

Each POST /v1/messages takes the next scripted response: a list of SSE events (streamed with
optional pauses and raw bytes, for malformed lines), an HTTP error, or a stall before any header.
Requests are recorded (headers and JSON body) for asserts.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Pause:
    seconds: float


@dataclass
class Raw:
    """Bytes written into the event stream as they are (a malformed line, invalid UTF-8)."""

    data: bytes


@dataclass
class StallBeforeHeaders:
    """A server that accepts the request and then says nothing for ``seconds``."""

    seconds: float


@dataclass
class HttpError:
    status: int
    error_type: str
    message: str
    headers: dict = field(default_factory=dict)


def _event(kind: str, **data) -> tuple[str, dict]:
    return kind, {"type": kind, **data}


def _message_start(model: str = "claude-test") -> tuple[str, dict]:
    return _event(
        "message_start",
        message={
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1, "cache_read_input_tokens": 0},
        },
    )


def _text_block(index: int, pieces: list[str]) -> list:
    events = [_event("content_block_start", index=index, content_block={"type": "text", "text": ""})]
    events += [_event("content_block_delta", index=index, delta={"type": "text_delta", "text": p}) for p in pieces]
    events.append(_event("content_block_stop", index=index))
    return events


def _end(stop_reason: str) -> list:
    return [
        _event("message_delta", delta={"stop_reason": stop_reason, "stop_sequence": None}, usage={"output_tokens": 7}),
        _event("message_stop"),
    ]


def text_reply(*pieces: str, pause: float = 0.0) -> list:
    """A plain streamed answer, one text delta per piece (with an optional pause between them)."""
    events = [_message_start()]
    block = _text_block(0, list(pieces))
    if pause:
        spaced = []
        for item in block:
            spaced += [item, Pause(pause)]
        block = spaced
    return events + block + _end("end_turn")


def tool_reply(text: str, name: str, json_fragments: list[str], tool_id: str = "toolu_01") -> list:
    """Some text, then a tool call whose input JSON arrives in fragments."""
    events = [_message_start()]
    index = 0
    if text:
        events += _text_block(0, [text])
        index = 1
    events.append(_event("content_block_start", index=index, content_block={"type": "tool_use", "id": tool_id, "name": name, "input": {}}))
    events += [_event("content_block_delta", index=index, delta={"type": "input_json_delta", "partial_json": f}) for f in json_fragments]
    events.append(_event("content_block_stop", index=index))
    return events + _end("tool_use")


def error_mid_stream(*pieces: str, error_type: str = "overloaded_error", message: str = "Overloaded") -> list:
    """Text starts, then an `error` event breaks the stream."""
    events = [_message_start()] + _text_block(0, list(pieces))[:-1]  # no block stop: it breaks off
    return events + [("error", {"type": "error", "error": {"type": error_type, "message": message}})]


def truncated_reply(*pieces: str) -> list:
    """Text starts, then the connection closes: no block stop, no message_stop."""
    return [_message_start()] + _text_block(0, list(pieces))[:-1]


def error_before_text(error_type: str = "overloaded_error", message: str = "Overloaded") -> list:
    """HTTP 200, then an `error` event before any text (how an overload can arrive mid-stream)."""
    return [_message_start(), ("error", {"type": "error", "error": {"type": error_type, "message": message}})]


class FakeMessagesAPI:
    def __init__(self):
        self.script: list = []
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with api._lock:
                    api.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    response = api.script.pop(0) if api.script else HttpError(500, "api_error", "script exhausted")
                if isinstance(response, StallBeforeHeaders):
                    time.sleep(response.seconds)
                    return
                if isinstance(response, HttpError):
                    payload = json.dumps({"type": "error", "error": {"type": response.error_type, "message": response.message}}).encode()
                    self.send_response(response.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for key, value in response.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.end_headers()
                try:
                    for item in response:
                        if isinstance(item, Pause):
                            time.sleep(item.seconds)
                            continue
                        if isinstance(item, Raw):
                            self.wfile.write(item.data)
                            self.wfile.flush()
                            continue
                        kind, data = item
                        self.wfile.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading (a cancelled reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeMessagesAPI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def queue(self, *responses) -> None:
        self.script.extend(responses)
