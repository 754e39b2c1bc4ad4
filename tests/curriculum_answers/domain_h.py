"""Domain H: advanced topics."""

import math

import numpy as np

WARP_SIZE = 32


def _cuda_blocks(n, threads):
    # integer form used in launches: (n + threads - 1) / threads
    return (n + threads - 1) // threads


def _infonce(pos, negs, tau):
    logits = np.array([pos, *negs]) / tau
    m = logits.max()
    log_softmax = logits - (m + np.log(np.exp(logits - m).sum()))
    return -log_softmax[0]


def _ring_allreduce_sent(n_gpus, megabytes):
    # reduce-scatter + all-gather: 2 (N - 1) steps, each sending a chunk of M / N
    return 2 * (n_gpus - 1) * megabytes / n_gpus


def _ddpm_alpha_bar(betas):
    return np.prod(1.0 - np.asarray(betas))


def _lora_params(d, k, r):
    # B is d x r, A is r x k
    return d * r + r * k


def _vit_patches(size, patch):
    return (size // patch) ** 2


ANSWERS = {
    # H/01 cuda-concepts
    "cuda-concepts/global-index": lambda: 3 * 256 + 5,
    "cuda-concepts/num-blocks": lambda: _cuda_blocks(1_000_000, 256),
    "cuda-concepts/idle-threads": lambda: _cuda_blocks(1_000_000, 256) * 256 - 1_000_000,
    "cuda-concepts/warps-per-block": lambda: 256 // WARP_SIZE,
    # H/02 performance-optimization
    "performance-optimization/vector-add-intensity": lambda: 1 / (3 * np.dtype(np.float32).itemsize),
    "performance-optimization/roofline-attainable": lambda: min(60e12, 10 * 2e12) / 1e12,
    "performance-optimization/ridge-point": lambda: 60e12 / 2e12,
    "performance-optimization/matmul-intensity": lambda: (2 * 1024**3) / (3 * 1024**2 * 4),
    "performance-optimization/amdahl": lambda: 1 / ((1 - 0.6) + 0.6 / 2),
    # H/03 distributed-training
    "distributed-training/effective-batch": lambda: 32 * 8 * 2,
    "distributed-training/linear-scaling": lambda: 0.1 * 8192 / 256,
    "distributed-training/ring-allreduce-bytes": lambda: _ring_allreduce_sent(8, 100e6 * 4 / 1e6),
    "distributed-training/sampler-shard": lambda: math.ceil(50000 / 8),
    # H/04 vision-transformers
    "vision-transformers/patch-count": lambda: _vit_patches(224, 16),
    "vision-transformers/sequence-length": lambda: _vit_patches(224, 16) + 1,
    "vision-transformers/patch-embed-params": lambda: (16 * 16 * 3) * 768 + 768,
    "vision-transformers/finetune-384": lambda: _vit_patches(384, 16),
    "vision-transformers/halve-patch": lambda: (_vit_patches(224, 8) / _vit_patches(224, 16)) ** 2,
    # H/05 self-supervised-learning
    "self-supervised-learning/simclr-negatives": lambda: 2 * 4096 - 2,
    "self-supervised-learning/infonce-value": lambda: _infonce(0.9, [0.1, 0.2], 0.5),
    "self-supervised-learning/chance-loss": lambda: _infonce(0.3, [0.3] * (32768 - 1), 0.07),
    "self-supervised-learning/clip-logit-scale": lambda: 1 / 0.07,
    # H/06 diffusion-models
    "diffusion-models/noisy-sample": lambda: np.sqrt(0.64) * 2.0 + np.sqrt(1 - 0.64) * 0.5,
    "diffusion-models/alpha-bar": lambda: _ddpm_alpha_bar([0.1, 0.2]),
    "diffusion-models/snr": lambda: 0.8 / (1 - 0.8),
    "diffusion-models/alpha-bar-T": lambda: _ddpm_alpha_bar(np.linspace(1e-4, 0.02, 1000)) / 1e-5,
    # H/07 parameter-efficient-finetuning
    "parameter-efficient-finetuning/lora-params": lambda: _lora_params(4096, 4096, 8),
    "parameter-efficient-finetuning/lora-fraction": lambda: 100 * _lora_params(4096, 4096, 8) / (4096 * 4096),
    "parameter-efficient-finetuning/lora-model-count": lambda: 32 * 2 * _lora_params(4096, 4096, 16),
    "parameter-efficient-finetuning/lora-scale": lambda: 16 / 8,
    "parameter-efficient-finetuning/adapter-params": lambda: (768 * 64 + 64) + (64 * 768 + 768),
}

NOT_COMPUTABLE: dict[str, str] = {}
