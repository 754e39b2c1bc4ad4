"""What GPUs this machine has, from ``nvidia-smi``: the TUI never imports torch to find out.

No nvidia-smi, or one that fails (no driver, a container without devices), means no GPU: the
answer is None and labs that want one are offered the CPU.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

QUERY = "name,utilization.gpu,memory.used,memory.total"


@dataclass(frozen=True)
class GpuStatus:
    index: int
    name: str
    utilisation_pct: float | None
    memory_used_mib: float | None
    memory_total_mib: float | None

    def describe(self) -> str:
        """E.g. "NVIDIA H200 31% 10.2/139.8 GiB"."""
        parts = [self.name]
        if self.utilisation_pct is not None:
            parts.append(f"{self.utilisation_pct:.0f}%")
        if self.memory_used_mib is not None and self.memory_total_mib is not None:
            parts.append(f"{self.memory_used_mib / 1024:.1f}/{self.memory_total_mib / 1024:.1f} GiB")
        return " ".join(parts)


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:  # "[N/A]" or "[Not Supported]" on some boards
        return None


def parse_query(output: str) -> list[GpuStatus]:
    """Rows of ``nvidia-smi --query-gpu=... --format=csv,noheader,nounits``."""
    gpus: list[GpuStatus] = []
    for line in output.splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) < 4 or not cells[0]:
            continue
        # A name could itself contain a comma: the last three cells are the numbers.
        name = ",".join(cells[:-3])
        used, total = _number(cells[-2]), _number(cells[-1])
        gpus.append(GpuStatus(len(gpus), name, _number(cells[-3]), used, total))
    return gpus


def query_gpus(timeout_s: float = 3.0, command: str = "nvidia-smi") -> list[GpuStatus] | None:
    """The GPUs and their current load, or None when there is no usable nvidia-smi."""
    executable = shutil.which(command)
    if executable is None:
        return None
    try:
        done = subprocess.run(
            [executable, f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return parse_query(done.stdout) or None


def gpu_line(gpus: list[GpuStatus] | None) -> str | None:
    """One short line for the header: the first GPU, and how many more there are."""
    if not gpus:
        return None
    more = f" (+{len(gpus) - 1} more)" if len(gpus) > 1 else ""
    return f"GPU {gpus[0].describe()}{more}"
