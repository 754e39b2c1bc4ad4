"""Domain C: deep-learning architectures (CNNs, RNNs, attention, Transformer)."""

import math

import numpy as np


def conv_out(n, k, s=1, p=0):
    """Output size of a convolution or pooling layer: floor((n + 2p - k) / s) + 1."""
    return (n + 2 * p - k) // s + 1


def conv_params(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def dense_params(n_in, n_out, bias=True):
    return n_in * n_out + (n_out if bias else 0)


def cross_correlate(x, kernel):
    x, kernel = np.asarray(x, float), np.asarray(kernel, float)
    kh, kw = kernel.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i : i + kh, j : j + kw] * kernel)
    return out


def pool2d(x, size, stride, op):
    x = np.asarray(x, float)
    rows = conv_out(x.shape[0], size, stride)
    cols = conv_out(x.shape[1], size, stride)
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = op(x[i * stride : i * stride + size, j * stride : j * stride + size])
    return out


def receptive_field(layers):
    """layers: list of (kernel, stride); returns the receptive field side length."""
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


def lenet_params():
    size = 28
    total = conv_params(5, 1, 6)
    size = conv_out(size, 5, p=2)  # 28
    size = conv_out(size, 2, 2)  # 14
    total += conv_params(5, 6, 16)
    size = conv_out(size, 5)  # 10
    size = conv_out(size, 2, 2)  # 5
    flat = 16 * size * size
    return total + dense_params(flat, 120) + dense_params(120, 84) + dense_params(84, 10)


def softmax(z):
    z = np.asarray(z, float)
    e = np.exp(z - z.max())
    return e / e.sum()


def scalar_rnn(w_x, w_h, xs, h=0.0):
    for x in xs:
        h = math.tanh(w_x * x + w_h * h)
    return h


def clip_by_norm(g, theta):
    g = np.asarray(g, float)
    return g * min(1.0, theta / np.linalg.norm(g))


def lstm_params(d, h, biases=1):
    return 4 * (h * d + h * h + biases * h)


def gru_params(d, h, biases=1):
    return 3 * (h * d + h * h + biases * h)


def mha_params(d_model):
    return 4 * dense_params(d_model, d_model)


def ffn_params(d_model, d_ff):
    return dense_params(d_model, d_ff) + dense_params(d_ff, d_model)


def positional_encoding(pos, dim, d_model):
    i = dim // 2
    angle = pos / 10000 ** (2 * i / d_model)
    return math.sin(angle) if dim % 2 == 0 else math.cos(angle)


def transformer_lr(step, d_model, warmup):
    return d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)


def _repeat_pool(n, times):
    """VGG stages: 3x3 conv (stride 1, padding 1) keeps the size, 2x2 max pool halves it."""
    for _ in range(times):
        n = conv_out(conv_out(n, 3, s=1, p=1), 2, s=2)
    return n


POOL_INPUT = [[1, 3, 2, 1], [4, 6, 5, 0], [7, 2, 9, 8], [1, 0, 3, 4]]

ANSWERS = {
    # C1 convolution
    "convolution/alexnet-conv1-size": lambda: conv_out(227, 11, s=4, p=0),
    "convolution/resnet-stem-size": lambda: conv_out(224, 7, s=2, p=3),
    "convolution/odd-stride-size": lambda: conv_out(7, 3, s=2, p=1),
    "convolution/params-64-128": lambda: conv_params(3, 64, 128),
    "convolution/cross-correlation-value": lambda: cross_correlate(np.arange(9).reshape(3, 3), [[0, 1], [2, 3]])[-1, -1],
    # C2 pooling and receptive fields
    "pooling-receptive-fields/maxpool-sum": lambda: pool2d(POOL_INPUT, 2, 2, np.max).sum(),
    "pooling-receptive-fields/avgpool-value": lambda: pool2d(POOL_INPUT, 2, 2, np.mean)[0, 0],
    "pooling-receptive-fields/overlapping-pool-size": lambda: conv_out(55, 3, s=2),
    "pooling-receptive-fields/rf-three-3x3": lambda: receptive_field([(3, 1)] * 3),
    "pooling-receptive-fields/rf-conv-pool-conv": lambda: receptive_field([(3, 1), (2, 2), (3, 1)]),
    "pooling-receptive-fields/rf-strided-convs": lambda: receptive_field([(3, 2), (3, 2), (3, 1)]),
    # C3 classic CNNs
    "classic-cnns/lenet-params": lenet_params,
    "classic-cnns/vgg16-fc1-params": lambda: dense_params(7 * 7 * 512, 4096),
    "classic-cnns/three-3x3-weights": lambda: 3 * conv_params(3, 256, 256, bias=False),
    "classic-cnns/vgg-final-size": lambda: _repeat_pool(224, times=5),
    # C4 ResNet
    "resnet/bottleneck-weights": lambda: conv_params(1, 256, 64, False) + conv_params(3, 64, 64, False) + conv_params(1, 64, 256, False),
    "resnet/basic-block-weights": lambda: 2 * conv_params(3, 64, 64, False),
    "resnet/projection-weights": lambda: conv_params(1, 64, 128, False),
    "resnet/residual-gradient-product": lambda: np.prod([1 + 0.1] * 10),
    "resnet/stem-output-size": lambda: conv_out(conv_out(224, 7, s=2, p=3), 3, s=2, p=1),
    # C5 RNN
    "rnn/params-one-bias": lambda: 50 * 100 + 100 * 100 + 100,
    "rnn/params-pytorch": lambda: 100 * 50 + 100 * 100 + 2 * 100,
    "rnn/two-step-forward": lambda: scalar_rnn(0.5, 1.0, [1, 1]),
    "rnn/exploding-product": lambda: np.prod([1.1] * 50),
    "rnn/clip-norm": lambda: clip_by_norm([6, 8], 5.0)[0],
    # C6 LSTM and GRU
    "lstm-gru/lstm-params-one-bias": lambda: lstm_params(32, 64, biases=1),
    "lstm-gru/lstm-params-pytorch": lambda: lstm_params(32, 64, biases=2),
    "lstm-gru/gru-params-pytorch": lambda: gru_params(32, 64, biases=2),
    "lstm-gru/hidden-from-cell": lambda: 0.5 * math.tanh(0.9 * 2.0 + 0.5 * 0.4),
    "lstm-gru/forget-gate-product": lambda: np.prod([0.95] * 10),
    # C7 attention
    "attention/softmax-weight": lambda: softmax(np.array([6, 2, 2]) / math.sqrt(4))[0],
    "attention/weighted-value": lambda: softmax(np.array([6, 2, 2]) / math.sqrt(4)) @ np.array([10, 0, 0]),
    # Var(q·k) = sum over d_k independent products of Var(q_i)·Var(k_i) = d_k · 1 · 1
    "attention/dot-product-std": lambda: math.sqrt(256 * 1.0 * 1.0),
    # allocate the (heads, queries, keys) float32 weight tensor and measure it
    "attention/weights-memory": lambda: np.zeros((8, 512, 512), dtype=np.float32).nbytes / 2**20,
    # C8 Transformer
    "transformer/mha-params-768": lambda: mha_params(768),
    "transformer/ffn-params": lambda: ffn_params(512, 2048),
    "transformer/encoder-layer-params": lambda: mha_params(512) + ffn_params(512, 2048) + 2 * (2 * 512),
    "transformer/positional-encoding-value": lambda: positional_encoding(100, 2, 4),
    "transformer/warmup-lr": lambda: transformer_lr(4000, 512, 4000),
}


NOT_COMPUTABLE: dict[str, str] = {}
