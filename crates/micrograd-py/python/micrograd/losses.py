"""Losses of the Rust crate, each recorded as a few nodes of the graph.

``hinge(score, y)`` (the moons demo's max-margin loss, ``relu(1 - y*score)``), ``hinge_mean(scores,
labels)``, ``squared_error(pred, target)``, ``mse(preds, targets)``, ``bce_with_logits(logit, y)``,
``log_sum_exp(logits)``, ``softmax_cross_entropy(logits, cls)``, ``l2_penalty(params, alpha)`` and
``mean(losses)``."""

from micrograd._micrograd import (
    bce_with_logits,
    hinge,
    hinge_mean,
    l2_penalty,
    log_sum_exp,
    mean,
    mse,
    softmax_cross_entropy,
    squared_error,
)

__all__ = [
    "hinge",
    "hinge_mean",
    "squared_error",
    "mse",
    "bce_with_logits",
    "log_sum_exp",
    "softmax_cross_entropy",
    "l2_penalty",
    "mean",
]
