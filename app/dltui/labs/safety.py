"""What a lab is not given and not allowed: the learner's secrets, more processes than devices.

Labs are programs the learner registers (any program can be one): a lab that prints its
environment would put an API key into ``stdout.log``, so secrets stay behind. A process count
beyond the GPUs present (or CPU cores) makes torchrun start workers that fight over one device.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dltui.labs.registry import Lab

# Variables kept from labs: ANTHROPIC_API_KEY, any *_API_KEY / *_TOKEN, and the like.
SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_PASSWORD")
SECRET_NAMES = {"API_KEY", "TOKEN", "PASSWORD"}


class LabLimitError(RuntimeError):
    """A parameter asks for more than this machine has; the message says what fits."""


def without_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment minus what a lab has no business seeing: a lab may print it into stdout.log."""
    return {name: value for name, value in environ.items() if not _secret(name.upper())}


def _secret(name: str) -> bool:
    return name.endswith(SECRET_SUFFIXES) or name in SECRET_NAMES or "SECRET" in name


def check_device_limits(lab: Lab, values: dict[str, Any], device: str | None) -> None:
    """Refuse a process count (``max = "devices"``) above the GPUs present, or CPU cores on the CPU.

    torchrun would start them all and each would fight for the same device.
    """
    limited = [p for p in lab.params.values() if p.at_most_devices and isinstance(values.get(p.name), int)]
    if not limited:
        return
    from dltui.labs.gpu import query_gpus

    gpus = None if device == "cpu" or values.get("device") == "cpu" else query_gpus()
    count, what = (len(gpus), "GPU(s)") if gpus else (os.cpu_count() or 1, "CPU core(s)")
    for param in limited:
        wanted = values[param.name]
        if wanted < 1:
            raise LabLimitError(f"{param.name}={wanted}: give at least 1")
        if wanted > count:
            raise LabLimitError(f"{param.name}={wanted} is more than the {count} {what} here: use {param.name}={count} or fewer")
