"""Fixtures for the lab tests: isolated dataset folders and a local HTTP mirror.

Nothing here touches the network or the real MNIST: the tests make their own tiny datasets.
"""

from __future__ import annotations

import http.server
import threading

import pytest


@pytest.fixture
def dataset_env(tmp_path, monkeypatch):
    """Isolated DLTUI_DATASETS / DLTUI_CACHE; no mirror reachable unless a test sets one."""
    monkeypatch.setenv("DLTUI_DATASETS", str(tmp_path / "datasets"))
    monkeypatch.setenv("DLTUI_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DLTUI_MIRRORS", "http://127.0.0.1:9/")  # discard port: refused at once
    return tmp_path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_mirror(tmp_path):
    """A static file server on 127.0.0.1 serving tmp_path/'www'; yields (base_url, folder)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: _QuietHandler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
