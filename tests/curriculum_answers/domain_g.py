"""Domain G: frameworks and implementation."""

import math

import numpy as np


def _cube_grad(x):
    # d/dx x**3 = 3 x**2, checked against a central finite difference
    analytic = 3 * x**2
    h = 1e-5
    numeric = ((x + h) ** 3 - (x - h) ** 3) / (2 * h)
    assert abs(analytic - numeric) < 1e-4
    return analytic


def _linear_square_grad(w, x, b):
    # L = (w x + b)^2, dL/dw = 2 (w x + b) x
    return 2 * (w * x + b) * x


def _linear_params(fan_in, fan_out, bias=True):
    return fan_in * fan_out + (fan_out if bias else 0)


GB = 10**9
MB = 10**6
MIB = 2**20

ANSWERS = {
    # G/01 tensors-autograd
    "tensors-autograd/cube-grad": lambda: _cube_grad(2.0),
    "tensors-autograd/accumulate-twice": lambda: _cube_grad(2.0) + _cube_grad(2.0),
    "tensors-autograd/linear-square-grad": lambda: _linear_square_grad(3.0, 2.0, 1.0),
    "tensors-autograd/tensor-bytes": lambda: np.prod([64, 3, 224, 224]) * np.dtype(np.float32).itemsize / MIB,
    # G/02 nn-module
    "nn-module/mlp-param-count": lambda: _linear_params(784, 256) + _linear_params(256, 10),
    "nn-module/batchnorm-params": lambda: 2 * 256,
    "nn-module/embedding-params": lambda: 10000 * 300,
    "nn-module/dropout-scale": lambda: 3.0 / (1 - 0.5),
    # G/03 datasets-dataloader
    "datasets-dataloader/num-batches": lambda: math.ceil(1000 / 64),
    "datasets-dataloader/last-batch": lambda: 1000 - (1000 // 64) * 64,
    "datasets-dataloader/drop-last": lambda: 1000 // 64,
    "datasets-dataloader/prefetched": lambda: 2 * 4,
    # G/04 training-loop
    "training-loop/effective-batch": lambda: 16 * 8,
    "training-loop/steps-per-epoch": lambda: (51200 // 32) // 4,
    "training-loop/total-steps": lambda: 10 * (50000 // 100),
    "training-loop/undivided-accum": lambda: 0.01 * 4,
    # G/05 gpu-training
    "gpu-training/adam-fp32-memory": lambda: 1e9 * (4 + 4 + 2 * 4) / GB,
    "gpu-training/zero-mixed-precision": lambda: 7.5e9 * (2 + 2 + (4 + 4 + 4)) / GB,
    "gpu-training/bf16-weights": lambda: 7e9 * 2 / GB,
    "gpu-training/activation-mib": lambda: np.prod([32, 1024, 4096]) * np.dtype(np.float16).itemsize / MIB,
    "gpu-training/gradscaler-backoff": lambda: 2.0**16 * 0.5,
    # G/06 checkpointing-tracking
    "checkpointing-tracking/checkpoint-size": lambda: 25e6 * 4 * (1 + 2) / MB,
    "checkpointing-tracking/disk-budget": lambda: (20000 // 1000) * 300 / 1000,
    # G/07 tensorflow-keras
    "tensorflow-keras/dense-params": lambda: _linear_params(784, 64),
    "tensorflow-keras/steps-per-epoch": lambda: math.ceil(60000 / 32),
    # Keras holds out the last fraction: split_at = int(n * (1 - validation_split))
    "tensorflow-keras/validation-split-steps": lambda: math.ceil(int(60000 * (1 - 0.2)) / 32),
    "tensorflow-keras/conv2d-params": lambda: 32 * (3 * 3 * 1 + 1),
}

NOT_COMPUTABLE: dict[str, str] = {}
