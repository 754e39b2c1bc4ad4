"""Domain F: training and optimization."""

import math

import numpy as np


def _adam_moments(grads, beta1=0.9, beta2=0.999):
    m = v = 0.0
    for _t, g in enumerate(grads, start=1):  # _t: the step count, read after the loop
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
    return m / (1 - beta1**_t), v / (1 - beta2**_t)


def _adam_first_step(g, lr):
    m_hat, v_hat = _adam_moments([g])
    return abs(lr * m_hat / math.sqrt(v_hat))


def _momentum_distance(steps, beta=0.9, lr=0.1, g=1.0):
    w, v = 0.0, 0.0
    for _ in range(steps):
        v = beta * v + g
        w -= lr * v
    return -w


def _rmsprop_first_step(g=2.0, rho=0.9, lr=0.01):
    s = rho * 0.0 + (1 - rho) * g * g
    return lr * g / math.sqrt(s)


def _cosine_lr(t, total, lr_max, lr_min=0.0):
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * t / total)) / 2


def _transformer_lr(step, d_model=512, warmup=4000):
    return d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)


def _batchnorm_value():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    return float((x[-1] - x.mean()) / np.sqrt(x.var()))  # np.var is the biased (1/N) variance


def _early_stopping(losses, patience):
    """Return (epoch after which training stops, best epoch), epochs counted from 1."""
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(losses), best_epoch


_VAL_LOSSES = [0.90, 0.72, 0.65, 0.61, 0.62, 0.60, 0.63, 0.64, 0.66]


def _successive_halving_epochs(n=81, eta=3, r_min=1, r_max=81):
    rungs = []
    r = r_min
    while r <= r_max:
        rungs.append(r)
        r *= eta
    total, alive, trained_to = 0, n, 0
    for rung in rungs:
        total += alive * (rung - trained_to)  # promoted trials resume training
        trained_to = rung
        alive //= eta
    return total


def _bf16_eps():
    # bf16 is the top 16 bits of an fp32; the next bf16 value after 1.0 sets bit 16
    one = np.array([1.0], dtype=np.float32).view(np.uint32)[0]
    next_up = np.array([one + (1 << 16)], dtype=np.uint32).view(np.float32)[0]
    return float(next_up) - 1.0


def _min_power_of_two_scale(grad_exponent=-30, target_exponent=-14):
    k = 0
    while 2.0 ** (grad_exponent + k) < 2.0**target_exponent:
        k += 1
    return 2**k


ANSWERS = {
    # F/01 optimizers
    "optimizers/bias-correction": lambda: 1 - 0.9**3,
    "optimizers/adam-mhat-step2": lambda: _adam_moments([1.0, 3.0])[0],
    "optimizers/adam-first-step": lambda: _adam_first_step(0.2, 0.01),
    "optimizers/momentum-two-steps": lambda: _momentum_distance(2),
    "optimizers/rmsprop-step": _rmsprop_first_step,
    # F/02 learning-rate schedules
    "learning-rate-schedules/step-decay": lambda: 0.1 * 0.1 ** (65 // 30),
    "learning-rate-schedules/cosine-quarter": lambda: _cosine_lr(25, 100, 0.1),
    "learning-rate-schedules/warmup": lambda: 3e-4 * 500 / 2000,
    "learning-rate-schedules/linear-scaling": lambda: 0.1 * 8192 / 256,
    "learning-rate-schedules/transformer-peak": lambda: max(_transformer_lr(s) for s in range(1, 20_001)),
    # F/03 normalization
    "normalization/bn-value": _batchnorm_value,
    "normalization/running-mean": lambda: (1 - 0.1) * 0.5 + 0.1 * 2.0,
    "normalization/bn-params": lambda: 2 * 256,
    "normalization/ln-params": lambda: 2 * 768,
    # F/04 regularization
    "regularization/inverted-scale": lambda: 3.0 / (1 - 0.2),
    "regularization/expected-kept": lambda: 1000 * (1 - 0.3),
    "regularization/sgd-decay-step": lambda: (1 - 0.1 * 0.01) * 2.0 - 0.1 * 0.5,
    "regularization/adamw-shrink": lambda: 5.0 - 5.0 * (1 - 0.001 * 0.01),
    # F/05 early stopping
    "early-stopping/stop-epoch": lambda: _early_stopping(_VAL_LOSSES, 3)[0],
    "early-stopping/best-epoch": lambda: _early_stopping(_VAL_LOSSES, 3)[1],
    "early-stopping/kfold-train-size": lambda: 10_000 - 10_000 // 5,
    "early-stopping/kfold-runs": lambda: 4 * 5,
    # F/06 hyperparameter search
    "hyperparameter-search/grid-size": lambda: len([(a, b, c) for a in range(5) for b in range(4) for c in range(3)]),
    "hyperparameter-search/log-uniform-prob": lambda: (math.log10(1e-3) - (-5)) / ((-1) - (-5)),
    "hyperparameter-search/uniform-prob": lambda: (1e-3 - 1e-5) / (1e-1 - 1e-5),
    "hyperparameter-search/random-top5": lambda: 1 - 0.95**60,
    "hyperparameter-search/successive-halving-budget": _successive_halving_epochs,
    # F/07 mixed precision
    "mixed-precision/fp16-max": lambda: float(np.finfo(np.float16).max),
    "mixed-precision/bf16-eps": _bf16_eps,
    "mixed-precision/min-scale": _min_power_of_two_scale,
    "mixed-precision/adam-memory": lambda: (2 + 2 + 4 + 4 + 4) * 1.5e9 / 1e9,
    # F/08 debugging a training run
    "debugging-training/init-loss-1000": lambda: -math.log(1 / 1000),
    "debugging-training/init-loss-100": lambda: -math.log(1 / 100),
    "debugging-training/init-loss-binary": lambda: -math.log(0.5),
    "debugging-training/init-bias": lambda: math.log(0.1 / (1 - 0.1)),
    "debugging-training/update-ratio": lambda: 0.01 * 0.2 / 2.0,
}

NOT_COMPUTABLE: dict[str, str] = {}

# Independent cross-checks of facts the cards state in their explanations.
assert float(np.float16(1.0) + np.float16(1e-4)) == 1.0  # fp16 rounds the update away
assert float(np.float16(1e-8)) == 0.0 and float(np.float16(1e-8 * 65536)) > 0.0  # loss scaling
assert (2 - 2.0**-10) * 2.0**15 == float(np.finfo(np.float16).max)
