"""The GPU line in the header: name, utilisation and memory, from nvidia-smi every few seconds.

nvidia-smi takes tens of milliseconds, so it runs in a thread worker, never on the event loop.
Its answer lands in the app's reactive ``gpus`` (None until the first answer, [] with no GPU);
the app's watcher puts the line in the header, and the Labs area reads it (`gpu_present`) to
offer the CPU to a lab that wants a missing GPU.
"""

from __future__ import annotations

import shutil

from textual.app import App

from dltui.labs.gpu import query_gpus

REFRESH_S = 5.0


def start_gpu_polling(app: App) -> None:
    """Ask nvidia-smi now and every REFRESH_S; call once from the app's on_mount."""

    def ask() -> None:
        app.run_worker(lambda: _answer(app), thread=True, group="gpu-header", exclusive=True, exit_on_error=False)

    ask()
    app.set_interval(REFRESH_S, ask)


def _answer(app: App) -> None:
    gpus = query_gpus() or []  # no nvidia-smi, or one that fails: no GPU
    try:
        app.call_from_thread(setattr, app, "gpus", gpus)
    except RuntimeError:  # the app closed while nvidia-smi was answering
        pass


def gpu_present(app: App) -> bool:
    """True when the last nvidia-smi query found a GPU (before the first answer: is it installed)."""
    gpus = getattr(app, "gpus", None)
    if gpus is None:
        return shutil.which("nvidia-smi") is not None
    return bool(gpus)
