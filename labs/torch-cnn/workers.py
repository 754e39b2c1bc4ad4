"""Where the training runs: which device, and how several processes share one training run.

One process is the usual case. With ``--procs N`` the lab runs as N processes under torchrun,
each holding a full copy of the model and training on its own shard of every batch
(DistributedDataParallel, "DDP"): after each backward pass DDP averages the gradients of all
processes, so every copy takes the same optimizer step and the copies stay identical. Only rank 0
(the first process) writes events and checkpoints.

    python cnn.py --procs 2          # re-launches itself as: python -m torch.distributed.run
                                     #   --standalone --nproc_per_node 2 cnn.py --procs 2
    torchrun --nproc_per_node 2 cnn.py --procs 2     # the same, by hand
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist


class DeviceUnavailable(RuntimeError):
    """The user asked for a device this machine does not have. The message says what to do."""


def pick_device(choice: str, local_rank: int = 0) -> torch.device:
    """``auto``: the GPU when PyTorch sees one, else the CPU. ``cuda``: the GPU or a clear error."""
    if choice not in ("auto", "cpu", "cuda"):
        raise DeviceUnavailable(f"unknown device {choice!r}: use auto, cpu or cuda")
    if choice == "cpu" or (choice == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        build = "a CPU-only build of PyTorch" if torch.version.cuda is None else "no CUDA device visible"
        raise DeviceUnavailable(f"--device cuda was asked for, but this machine has {build}. Run with --device cpu (or auto).")
    if local_rank >= torch.cuda.device_count():
        raise DeviceUnavailable(
            f"process {local_rank} needs GPU {local_rank}, but this machine has {torch.cuda.device_count()} GPU(s): "
            f"use --procs {torch.cuda.device_count()} or fewer on CUDA, or --device cpu"
        )
    return torch.device("cuda", local_rank)


def under_torchrun() -> bool:
    """True inside a process that torchrun started (it sets these variables for every worker)."""
    return "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ


def relaunch_under_torchrun(procs: int) -> None:
    """Replace this process by torchrun running `procs` copies of the same script and arguments.

    exec keeps the process id, so whoever started the lab (the dltui runner) still holds the right
    process: a SIGTERM reaches torchrun, which passes it on to every worker.
    """
    script = str(Path(sys.argv[0]).resolve())
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",  # one machine: torchrun picks a free local port for the processes to meet
        f"--nproc_per_node={procs}",
        script,
        *sys.argv[1:],
    ]
    sys.stdout.flush()
    os.execv(sys.executable, command)


@dataclass
class Workers:
    """This process's place in the run: its rank (0..world_size-1) and its device."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Add up `tensor` over all processes (every process gets the total)."""
        if self.distributed:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def any(self, flag: bool) -> bool:
        """True on every process if `flag` is true on at least one of them.

        A stop request (SIGTERM) may reach the processes a few steps apart; deciding together
        keeps them in step, or one would wait forever for the others' gradients.
        """
        if not self.distributed:
            return flag
        tensor = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return bool(tensor.item() > 0)

    def share(self, value):
        """Rank 0's `value` on every process (a small picklable object, e.g. a folder name)."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            # Meet once more before tearing down: a rank that leaves while another still writes
            # its last events makes gloo abort the slower one ("connection closed by peer").
            try:
                dist.barrier()
            except RuntimeError:
                pass  # the other rank already failed; its error is the one worth reading
            dist.destroy_process_group()


def start_workers(device_choice: str) -> Workers:
    """Join the other processes when started by torchrun; otherwise a one-process 'team'."""
    if not under_torchrun():
        return Workers(rank=0, world_size=1, device=pick_device(device_choice))
    local_rank = int(os.environ["LOCAL_RANK"])
    device = pick_device(device_choice, local_rank)
    # NCCL moves gradients GPU-to-GPU; gloo is the backend that works on CPUs.
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend, device_id=device if device.type == "cuda" else None)
    return Workers(rank=dist.get_rank(), world_size=dist.get_world_size(), device=device)


class SilentReporter:
    """What ranks other than 0 use instead of `labkit.events.Reporter`: the same calls, writing nothing.

    It still notices SIGTERM, so that every process can take part in the decision to stop.
    """

    def __init__(self) -> None:
        self.stop_requested = False
        signal.signal(signal.SIGTERM, self._on_stop)

    def _on_stop(self, signum, frame) -> None:
        self.stop_requested = True

    def __getattr__(self, name):  # start, metrics, progress, log, artifact, checkpoint, end
        return lambda *args, **kwargs: None

    def __enter__(self) -> "SilentReporter":
        return self

    def __exit__(self, *exc) -> None:
        pass
