"""Gradient-boosted trees for DCI: scikit-learn's GradientBoostingClassifier defaults, made fast.

DCI needs, per factor, the impurity importances of a boosted classifier and its
test accuracy. The reference (disentanglement_lib) fits scikit-learn's
``GradientBoostingClassifier()`` with its defaults: 100 stages, learning rate
0.1, regression trees of depth 3 on the negative gradient of the log loss, a
Newton step per leaf, priors as the initial prediction. That costs about 2 s
per stage on 8,000 items of a 5-factor dataset, because every class of every
factor grows its own tree from scratch.

This module grows the same trees faster, without changing what they are:

- every feature is sorted once, and each tree level is found in one pass per
  feature over that order (the running sums of all of a level's nodes are kept
  side by side), instead of re-sorting the items of every node;
- a stage's class trees are independent and are grown in parallel (numba).

The split rule is scikit-learn's: float32 features, thresholds halfway between
consecutive distinct values (closer than 1e-7 counts as equal), the split with
the largest ``S_l^2 / n_l + S_r^2 / n_r``, within a feature the first one found
on ties; nodes with fewer than two items or no impurity stay leaves.
Importances are each tree's weighted impurity decrease per feature, summed over
trees and normalised, as ``feature_importances_`` does.

Ties between features are broken as scikit-learn's ``BestSplitter`` breaks
them: it visits a node's features in a random order and keeps the first best
split, so among features whose best splits are equally good (a latent copied
twice, or features that cut a node alike) the winner is drawn at random. Here
each node draws a random priority per feature (seeded, so a seed gives the same
trees) and a tied split goes to the feature with the lower one; gains within
a relative 1e-12 count as tied, since the reference's own sums for such splits
differ only by rounding. Where no two features tie, the trees are the
reference's (to rounding); where they do, the choices follow the same distribution, not the
same draws (``tests/test_metrics_reference.py`` compares both cases).
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit, prange

# numba's fallback threading layer (workqueue) aborts when two threads launch parallel kernels at
# once, as two dashboard sessions scoring at the same time would; stages run one at a time.
_STAGE_LOCK = threading.Lock()

_FEATURE_THRESHOLD = np.float32(1e-7)
_EPSILON = np.finfo(np.float64).eps
_TIE = 1e-12  # relative gap under which two features' best splits count as equally good


@njit(cache=True)
def _grow(xs, order, x_train, x_test, g, h, factor, max_depth, priority, value_train, value_test, importance):
    """Grow one regression tree on ``g``; write each item's Newton leaf value and add the importances.

    xs (F, n): each feature's training values in sorted order; order (F, n): the items in that order.
    priority (nodes, F): on a tie between features at a node, the one with the lower value wins.
    Nodes are numbered as in a heap: node j has children 2j+1 and 2j+2.
    """
    n_features, n = xs.shape
    n_nodes = 2 ** (max_depth + 1) - 1
    node = np.zeros(n, np.int32)
    test_node = np.zeros(x_test.shape[0], np.int32)
    count = np.zeros(n_nodes)
    total = np.zeros(n_nodes)
    total_sq = np.zeros(n_nodes)
    splittable = np.zeros(n_nodes, np.bool_)
    count[0] = n
    for i in range(n):
        total[0] += g[i]
        total_sq[0] += g[i] * g[i]
    splittable[0] = n >= 2 and total_sq[0] / n - (total[0] / n) ** 2 > _EPSILON and max_depth > 0

    left_count = np.zeros(n_nodes)
    left_sum = np.zeros(n_nodes)
    left_sq = np.zeros(n_nodes)
    last = np.zeros(n_nodes, np.float32)
    best_gain = np.empty(n_nodes)
    best_feature = np.empty(n_nodes, np.int32)
    best_threshold = np.zeros(n_nodes)
    best_count = np.zeros(n_nodes)
    best_sum = np.zeros(n_nodes)
    best_sq = np.zeros(n_nodes)

    for depth in range(max_depth):
        lo, hi = 2**depth - 1, 2 ** (depth + 1) - 1
        active = False
        for j in range(lo, hi):
            best_gain[j] = -np.inf
            best_feature[j] = -1
            active = active or splittable[j]
        if not active:
            break
        for f in range(n_features):
            for j in range(lo, hi):
                left_count[j] = 0.0
                left_sum[j] = 0.0
                left_sq[j] = 0.0
            for p in range(n):
                item = order[f, p]
                j = node[item]
                if j < lo or not splittable[j]:
                    continue
                x = xs[f, p]
                nl = left_count[j]
                if nl > 0 and x > last[j] + _FEATURE_THRESHOLD:
                    sl = left_sum[j]
                    sr = total[j] - sl
                    gain = sl * sl / nl + sr * sr / (count[j] - nl)
                    better = gain > best_gain[j]
                    rival = best_feature[j]
                    if rival >= 0 and rival != f and abs(gain - best_gain[j]) <= _TIE * best_gain[j]:
                        better = priority[j, f] < priority[j, rival]
                    if better:
                        best_gain[j] = gain
                        best_feature[j] = f
                        threshold = np.float64(last[j]) / 2.0 + np.float64(x) / 2.0
                        if threshold == x:
                            threshold = np.float64(last[j])
                        best_threshold[j] = threshold
                        best_count[j] = nl
                        best_sum[j] = sl
                        best_sq[j] = left_sq[j]
                gi = g[item]
                left_count[j] = nl + 1.0
                left_sum[j] += gi
                left_sq[j] += gi * gi
                last[j] = x
        for j in range(lo, hi):
            if not splittable[j] or best_feature[j] < 0:
                continue
            a, b = 2 * j + 1, 2 * j + 2
            count[a], total[a], total_sq[a] = best_count[j], best_sum[j], best_sq[j]
            count[b], total[b], total_sq[b] = count[j] - count[a], total[j] - total[a], total_sq[j] - total_sq[a]
            impurity = total_sq[j] / count[j] - (total[j] / count[j]) ** 2
            impurity_a = total_sq[a] / count[a] - (total[a] / count[a]) ** 2
            impurity_b = total_sq[b] / count[b] - (total[b] / count[b]) ** 2
            importance[best_feature[j]] += (count[j] * impurity - count[a] * impurity_a - count[b] * impurity_b) / n
            grow_on = depth + 1 < max_depth
            splittable[a] = grow_on and count[a] >= 2 and impurity_a > _EPSILON
            splittable[b] = grow_on and count[b] >= 2 and impurity_b > _EPSILON
        for i in range(n):
            j = node[i]
            if j >= lo and splittable[j] and best_feature[j] >= 0:
                node[i] = 2 * j + 1 if x_train[i, best_feature[j]] <= best_threshold[j] else 2 * j + 2
        for i in range(x_test.shape[0]):
            j = test_node[i]
            if j >= lo and splittable[j] and best_feature[j] >= 0:
                test_node[i] = 2 * j + 1 if x_test[i, best_feature[j]] <= best_threshold[j] else 2 * j + 2
        for j in range(lo, hi):  # a node that was split is no longer a leaf to split again
            if best_feature[j] >= 0:
                splittable[j] = False

    # One Newton step per leaf (scikit-learn's line search for the log loss).
    numerator = np.zeros(n_nodes)
    denominator = np.zeros(n_nodes)
    for i in range(n):
        numerator[node[i]] += g[i]
        denominator[node[i]] += h[i]
    leaf_value = np.zeros(n_nodes)
    for j in range(n_nodes):
        if abs(denominator[j]) >= 1e-150:
            leaf_value[j] = factor * numerator[j] / denominator[j]
    for i in range(n):
        value_train[i] = leaf_value[node[i]]
    for i in range(x_test.shape[0]):
        value_test[i] = leaf_value[test_node[i]]


@njit(parallel=True, cache=True)
def _stage(xs, order, x_train, x_test, neg_gradient, hessian, factor, max_depth, learning_rate, priority,
           raw_train, raw_test, importance):
    """One boosting stage: a tree per column of ``neg_gradient``, grown in parallel; priority (trees, nodes, F)."""
    n_trees = neg_gradient.shape[1]
    value_train = np.zeros((n_trees, x_train.shape[0]))
    value_test = np.zeros((n_trees, x_test.shape[0]))
    for k in prange(n_trees):
        _grow(xs, order, x_train, x_test, neg_gradient[:, k].copy(), hessian[:, k].copy(), factor, max_depth,
              priority[k], value_train[k], value_test[k], importance[k])
    for k in range(n_trees):
        raw_train[:, k] += learning_rate * value_train[k]
        raw_test[:, k] += learning_rate * value_test[k]


def _softmax(raw: np.ndarray) -> np.ndarray:
    e = np.exp(raw - raw.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def boosted_importances(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                        n_estimators: int = 100, learning_rate: float = 0.1, max_depth: int = 3,
                        seed: int = 0) -> tuple[np.ndarray, float]:
    """Fit boosted trees to predict ``y`` from ``x``; returns (feature importances (F,), test accuracy).

    ``y_train`` needs at least two classes. Test items whose class never occurs
    in training count as misclassified. ``seed`` draws how ties between
    features are broken (the reference's ``random_state`` plays that part).
    """
    classes, y = np.unique(y_train, return_inverse=True)
    n_classes = len(classes)
    if n_classes < 2:
        raise ValueError("boosted trees need at least two classes in the training labels")
    x_train = np.ascontiguousarray(x_train, dtype=np.float32)
    x_test = np.ascontiguousarray(x_test, dtype=np.float32)
    order = np.ascontiguousarray(np.argsort(x_train, axis=0, kind="stable").T.astype(np.int32))
    xs = np.ascontiguousarray(np.take_along_axis(x_train, order.T, axis=0).T)
    eps = np.finfo(np.float64).eps
    prior = np.clip(np.bincount(y, minlength=n_classes) / len(y), eps, 1 - eps)
    binary = n_classes == 2
    if binary:  # one tree per stage on the logit of class 1
        onehot = (y == 1).astype(np.float64)[:, None]
        init = np.array([np.log(prior[1] / (1 - prior[1]))])
        factor = 1.0
    else:  # one tree per class; scikit-learn's symmetric multinomial logit
        onehot = np.eye(n_classes)[y]
        init = np.log(prior) - np.log(prior).mean()
        factor = (n_classes - 1) / n_classes
    raw_train = np.tile(init, (len(x_train), 1))
    raw_test = np.tile(init, (len(x_test), 1))
    importance = np.zeros((raw_train.shape[1], x_train.shape[1]))
    rng = np.random.default_rng(seed)
    n_nodes = 2 ** (max_depth + 1) - 1
    for _ in range(n_estimators):
        proba = 1 / (1 + np.exp(-raw_train)) if binary else _softmax(raw_train)
        neg_gradient = np.ascontiguousarray(onehot - proba)
        hessian = np.ascontiguousarray(proba * (1 - proba))
        priority = rng.random((raw_train.shape[1], n_nodes, x_train.shape[1]))  # (trees, nodes, F)
        with _STAGE_LOCK:
            _stage(xs, order, x_train, x_test, neg_gradient, hessian, factor, max_depth, learning_rate, priority,
                   raw_train, raw_test, importance)
    importance = importance.sum(0)
    total = importance.sum()
    importance = importance / total if total > 0 else importance
    predicted = (raw_test[:, 0] > 0).astype(int) if binary else raw_test.argmax(1)
    expected = np.searchsorted(classes, y_test)
    known = (expected < n_classes) & (classes[np.minimum(expected, n_classes - 1)] == y_test)
    accuracy = float(np.mean(known & (predicted == expected))) if len(y_test) else float("nan")
    return importance, accuracy
