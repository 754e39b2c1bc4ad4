"""Domain E: natural language processing."""

import math
from collections import Counter

import numpy as np


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum()


def _bpe_best_pair_count():
    corpus = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
    pairs = Counter()
    for word, freq in corpus.items():
        for a, b in zip(word, word[1:]):
            pairs[a, b] += freq
    counts = sorted(pairs.values(), reverse=True)
    assert counts[0] > counts[1], "the most frequent pair must be unique"
    return counts[0]


def _skipgram_pairs(n_tokens, window):
    return sum(1 for c in range(n_tokens) for o in range(n_tokens) if o != c and abs(o - c) <= window)


def _cosine(u, v):
    u, v = np.asarray(u, float), np.asarray(v, float)
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def _top_p_size(probs, p):
    cumulative = np.cumsum(sorted(probs, reverse=True))
    return int(np.argmax(cumulative >= p - 1e-12) + 1)


def _beam_search_best(k):
    step1 = {"A": 0.5, "B": 0.4, "C": 0.1}
    step2 = {"A": {"x": 0.4, "y": 0.3, "z": 0.3}, "B": {"x": 0.6, "y": 0.2, "z": 0.2}, "C": {"x": 1.0}}
    beam = sorted(step1, key=step1.get, reverse=True)[:k]
    candidates = [step1[a] * p for a in beam for p in step2[a].values()]
    return max(candidates)


def _bleu_modified_unigram_precision(candidate, references):
    cand = Counter(candidate.lower().split())
    max_ref = Counter()
    for ref in references:
        for word, count in Counter(ref.lower().split()).items():
            max_ref[word] = max(max_ref[word], count)
    clipped = sum(min(count, max_ref[word]) for word, count in cand.items())
    return clipped / sum(cand.values())


def _causal_allowed_pairs(t):
    return int(np.tril(np.ones((t, t), dtype=np.int64)).sum())


def _masked_attention_weight():
    scores = np.array([1.0, 2.0, 3.0])
    mask = np.array([True, True, False])  # query at position 2 may see keys 1 and 2
    masked = np.where(mask, scores, -np.inf)
    return float(_softmax(masked)[1])


ANSWERS = {
    # E/01 tokenization
    "tokenization/first-merge-count": _bpe_best_pair_count,
    "tokenization/gpt2-vocab-size": lambda: 256 + 50_000 + 1,
    "tokenization/merges-needed": lambda: 1000 - (26 + 2),
    "tokenization/char-length": lambda: len(list("the cat sat on the mat")),
    # E/02 word embeddings
    "word-embeddings/cosine": lambda: _cosine([1, 2, 2], [2, 1, 2]),
    "word-embeddings/params": lambda: 2 * 10_000 * 300,
    "word-embeddings/skipgram-pairs": lambda: _skipgram_pairs(5, 2),
    "word-embeddings/neg-sampling-loss": lambda: float(-np.log(_sigmoid(2.0)) - sum(np.log(_sigmoid(-s)) for s in (1.0, 0.0))),
    "word-embeddings/noise-distribution": lambda: float((np.array([900.0, 100.0]) ** 0.75 / np.sum(np.array([900.0, 100.0]) ** 0.75))[1]),
    "word-embeddings/glove-weight": lambda: (25 / 100) ** 0.75 if 25 < 100 else 1.0,
    # E/03 language models
    "language-models/ppl-example": lambda: float(np.exp(-np.mean(np.log([0.5, 0.25, 0.125, 0.5])))),
    "language-models/ppl-uniform": lambda: float(np.exp(-np.mean(np.log(np.full(7, 1 / 50_000))))),
    "language-models/ppl-from-loss": lambda: math.exp(3.0),
    "language-models/ppl-bits": lambda: 2**2.5,
    "language-models/bigram-estimate": lambda: 30 / 120,
    # E/04 text generation
    "text-generation/temperature": lambda: float(_softmax(np.array([2.0, 1.0, 0.0]) / 0.5)[0]),
    "text-generation/top-p-size": lambda: _top_p_size([0.5, 0.2, 0.15, 0.1, 0.05], 0.8),
    "text-generation/top-k-renorm": lambda: 0.5 / sum(sorted([0.5, 0.2, 0.15, 0.1, 0.05], reverse=True)[:2]),
    "text-generation/beam-vs-greedy": lambda: _beam_search_best(2),
    "text-generation/beam-candidates": lambda: 4 * 10_000,
    # E/05 seq2seq
    "seq2seq/modified-precision": lambda: _bleu_modified_unigram_precision(
        "the the the the the the the", ["the cat is on the mat", "there is a cat on the mat"]
    ),
    "seq2seq/brevity-penalty": lambda: math.exp(1 - 10 / 8) if 8 < 10 else 1.0,
    "seq2seq/bleu2": lambda: 1.0 * math.exp(0.5 * math.log(0.8) + 0.5 * math.log(0.5)),
    # E/06 BERT
    "bert/mask-fraction": lambda: 0.15 * 0.8,
    "bert/random-token-count": lambda: 10_000 * 0.15 * 0.10,
    "bert/head-dim": lambda: 768 // 12,
    "bert/token-embedding-params": lambda: 30_000 * 768,
    # E/07 GPT
    "gpt/mask-pairs": lambda: _causal_allowed_pairs(1024),
    "gpt/masked-softmax": _masked_attention_weight,
    "gpt/block-params": lambda: 4 * 768 * 768 + 2 * (768 * 4 * 768),
    "gpt/gpt2-embedding": lambda: 50_257 * 768,
}

NOT_COMPUTABLE: dict[str, str] = {}

# A sanity check that the beam example really shows greedy search losing.
assert _beam_search_best(1) < _beam_search_best(2)
