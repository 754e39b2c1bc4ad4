"""The GPU line in the header: name, utilisation and memory, from nvidia-smi every few seconds.

nvidia-smi takes tens of milliseconds, so it runs in a thread worker, never on the event loop.
With no GPU the header keeps its usual subtitle. The last answer is kept on the app for the
Labs area (`gpu_present`), which offers the CPU to a lab that wants a missing GPU.
"""

from __future__ import annotations

import shutil

from textual.app import App

from dltui.labs.gpu import GpuStatus, gpu_line, query_gpus

REFRESH_S = 5.0


class GpuHeader:
    """Keeps ``app.sub_title`` showing the GPU, if there is one."""

    def __init__(self, app: App):
        self.app = app
        self.base_subtitle = app.sub_title
        self.gpus: list[GpuStatus] | None = None
        self.checked = False

    def start(self) -> None:
        self.refresh()
        self.app.set_interval(REFRESH_S, self.refresh)

    def refresh(self) -> None:
        self.app.run_worker(self._query, thread=True, group="gpu-header", exclusive=True, exit_on_error=False)

    def _query(self) -> None:
        gpus = query_gpus()
        try:
            self.app.call_from_thread(self._show, gpus)
        except RuntimeError:  # the app closed while nvidia-smi was answering
            pass

    def _show(self, gpus: list[GpuStatus] | None) -> None:
        self.gpus, self.checked = gpus, True
        line = gpu_line(gpus)
        self.app.sub_title = f"{self.base_subtitle} · {line}" if line else self.base_subtitle


def install_gpu_header(app: App) -> GpuHeader:
    """Start the header's GPU line; call once from the app's on_mount."""
    header = GpuHeader(app)
    app.gpu_header = header  # type: ignore[attr-defined]  # read by the Labs area
    header.start()
    return header


def gpu_present(app: App) -> bool:
    """True when the last nvidia-smi query found a GPU (before the first answer: is it installed)."""
    header = getattr(app, "gpu_header", None)
    if header is None or not header.checked:
        return shutil.which("nvidia-smi") is not None
    return bool(header.gpus)
