"""Calibration of class probabilities: expected calibration error and temperature scaling.

- `ece(probs, gold)`: top-label expected calibration error with equal-width confidence bins (15 by default): the
  share-weighted mean, over bins, of |accuracy - mean confidence| of the items whose top probability falls in the bin.
- `fit_temperature(logits, gold)`: the temperature T > 0 that minimises the negative log-likelihood of
  softmax(logits / T) on held-apart items (Guo et al., ICML 2017), by a search over log T.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

N_BINS = 15


def ece(probs: Sequence[Sequence[float]], gold: Sequence[int], n_bins: int = N_BINS) -> float:
    """Top-label expected calibration error of probability rows against gold class indices."""
    if not probs:
        return 0.0
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for row, g in zip(probs, gold, strict=True):
        top = max(range(len(row)), key=row.__getitem__)
        conf = float(row[top])
        bins[min(n_bins - 1, max(0, math.ceil(conf * n_bins) - 1))].append((conf, top == g))
    total = len(probs)
    return sum(
        len(b) / total * abs(sum(ok for _, ok in b) / len(b) - sum(c for c, _ in b) / len(b)) for b in bins if b
    )


def softmax(row: Sequence[float], temperature: float = 1.0) -> list[float]:
    """Softmax of one logit row divided by `temperature`."""
    scaled = [v / temperature for v in row]
    top = max(scaled)
    exps = [math.exp(v - top) for v in scaled]
    total = sum(exps)
    return [e / total for e in exps]


def nll(logits: Sequence[Sequence[float]], gold: Sequence[int], temperature: float) -> float:
    """Mean negative log-likelihood of the gold classes under softmax(logits / temperature)."""
    total = 0.0
    for row, g in zip(logits, gold, strict=True):
        scaled = [v / temperature for v in row]
        top = max(scaled)
        total += top + math.log(sum(math.exp(v - top) for v in scaled)) - scaled[g]
    return total / len(logits)


def fit_temperature(logits: Sequence[Sequence[float]], gold: Sequence[int], lo: float = 0.05,
                    hi: float = 20.0) -> float:
    """The temperature minimising `nll` (a grid over log T, then golden-section refinement); rounded to 4 places."""
    grid = [math.exp(math.log(lo) + i * (math.log(hi) - math.log(lo)) / 200) for i in range(201)]
    best = min(range(len(grid)), key=lambda i: nll(logits, gold, grid[i]))
    a, b = math.log(grid[max(0, best - 1)]), math.log(grid[min(len(grid) - 1, best + 1)])
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if nll(logits, gold, math.exp(c)) < nll(logits, gold, math.exp(d)):
            b = d
        else:
            a = c
    return round(math.exp((a + b) / 2), 4)
