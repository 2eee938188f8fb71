"""Gradient-boosted trees for DCI: scikit-learn's GradientBoostingClassifier defaults, made fast.

DCI needs, per factor, the impurity importances of a boosted classifier and its
test accuracy. The reference (disentanglement_lib) fits scikit-learn's
``GradientBoostingClassifier()`` with its defaults: 100 stages, learning rate
0.1, regression trees of depth 3 on the negative gradient of the log loss, a
Newton step per leaf, priors as the initial prediction. That costs about 2 s
per stage on 8,000 items of a 5-factor dataset, because every class of every
factor grows its own tree from scratch.

This module grows the same trees faster, without changing what they are:

- every feature is sorted once; after each level the sorted orders are split
  stably by node, so each node is one contiguous block per feature, scanned with
  its running sums in registers (no per-item node lookup), instead of
  re-sorting the items of every node; division by zero is left to IEEE
  (``error_model="numpy"``) so the scan carries no Python-style checks
  (the same trees as before to the last bit; a depth-3 tree on 8,000 items of
  10 features takes 1.06 ms instead of 1.52 ms);
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


@njit(cache=True, error_model="numpy")
def _grow(xs, order, x_train, x_test, g, h, factor, max_depth, priority, value_train, value_test, importance):
    """Grow one regression tree on ``g``; write each item's Newton leaf value and add the importances.

    xs (F, n): each feature's training values in sorted order; order (F, n): the items in that order.
    priority (nodes, F): on a tie between features at a node, the one with the lower value wins.
    Nodes are numbered as in a heap: node j has children 2j+1 and 2j+2. Each feature's order is kept
    partitioned by node (stably, so every node's items stay sorted), and a node is scanned as one
    contiguous block with its running sums in registers.
    """
    n_features, n = xs.shape
    n_nodes = 2 ** (max_depth + 1) - 1
    node = np.zeros(n, np.int32)
    test_node = np.zeros(x_test.shape[0], np.int32)
    count = np.zeros(n_nodes)
    total = np.zeros(n_nodes)
    total_sq = np.zeros(n_nodes)
    splittable = np.zeros(n_nodes, np.bool_)
    begin = np.zeros(n_nodes, np.int64)  # node j's block in the partitioned orders: [begin[j], begin[j] + count[j])
    count[0] = n
    for i in range(n):
        total[0] += g[i]
        total_sq[0] += g[i] * g[i]
    splittable[0] = n >= 2 and total_sq[0] / n - (total[0] / n) ** 2 > _EPSILON and max_depth > 0

    best_gain = np.empty(n_nodes)
    best_feature = np.empty(n_nodes, np.int32)
    best_threshold = np.zeros(n_nodes)
    best_count = np.zeros(n_nodes)
    best_sum = np.zeros(n_nodes)
    best_sq = np.zeros(n_nodes)
    cur_xs, cur_order = xs, order
    next_xs = np.empty_like(xs)
    next_order = np.empty_like(order)

    for depth in range(max_depth):
        lo, hi = 2**depth - 1, 2 ** (depth + 1) - 1
        active = False
        for j in range(lo, hi):
            best_gain[j] = -np.inf
            best_feature[j] = -1
            active = active or splittable[j]
        if not active:
            break
        for j in range(lo, hi):
            if not splittable[j]:
                continue
            start, stop = begin[j], begin[j] + np.int64(count[j])
            node_total, node_count = total[j], count[j]
            bg, bf = -np.inf, -1  # the node's best split so far, kept in registers
            b_threshold, b_count, b_sum, b_sq = 0.0, 0.0, 0.0, 0.0
            for f in range(n_features):
                nl = 0.0
                sl = 0.0
                sq = 0.0
                last = np.float32(0.0)
                for p in range(start, stop):
                    x = cur_xs[f, p]
                    if nl > 0 and x > last + _FEATURE_THRESHOLD:
                        sr = node_total - sl
                        gain = sl * sl / nl + sr * sr / (node_count - nl)
                        better = gain > bg
                        if bf >= 0 and bf != f and abs(gain - bg) <= _TIE * bg:
                            better = priority[j, f] < priority[j, bf]
                        if better:
                            bg, bf = gain, f
                            threshold = np.float64(last) / 2.0 + np.float64(x) / 2.0
                            if threshold == x:
                                threshold = np.float64(last)
                            b_threshold, b_count, b_sum, b_sq = threshold, nl, sl, sq
                    gi = g[cur_order[f, p]]
                    nl += 1.0
                    sl += gi
                    sq += gi * gi
                    last = x
            best_gain[j], best_feature[j] = bg, bf
            best_threshold[j], best_count[j], best_sum[j], best_sq[j] = b_threshold, b_count, b_sum, b_sq
        grown = False
        for j in range(lo, hi):
            if not splittable[j] or best_feature[j] < 0:
                continue
            a, b = 2 * j + 1, 2 * j + 2
            count[a], total[a], total_sq[a] = best_count[j], best_sum[j], best_sq[j]
            count[b], total[b], total_sq[b] = count[j] - count[a], total[j] - total[a], total_sq[j] - total_sq[a]
            begin[a], begin[b] = begin[j], begin[j] + np.int64(count[a])
            impurity = total_sq[j] / count[j] - (total[j] / count[j]) ** 2
            impurity_a = total_sq[a] / count[a] - (total[a] / count[a]) ** 2
            impurity_b = total_sq[b] / count[b] - (total[b] / count[b]) ** 2
            importance[best_feature[j]] += (count[j] * impurity - count[a] * impurity_a - count[b] * impurity_b) / n
            grow_on = depth + 1 < max_depth
            splittable[a] = grow_on and count[a] >= 2 and impurity_a > _EPSILON
            splittable[b] = grow_on and count[b] >= 2 and impurity_b > _EPSILON
            grown = grown or splittable[a] or splittable[b]
        for i in range(n):
            j = node[i]
            if j >= lo and splittable[j] and best_feature[j] >= 0:
                node[i] = 2 * j + 1 if x_train[i, best_feature[j]] <= best_threshold[j] else 2 * j + 2
        for i in range(x_test.shape[0]):
            j = test_node[i]
            if j >= lo and splittable[j] and best_feature[j] >= 0:
                test_node[i] = 2 * j + 1 if x_test[i, best_feature[j]] <= best_threshold[j] else 2 * j + 2
        if grown:  # children to split at the next level: each split node's block parts into its children's
            for j in range(lo, hi):
                if not splittable[j] or best_feature[j] < 0:
                    continue
                a = 2 * j + 1
                start, stop = begin[j], begin[j] + np.int64(count[j])
                for f in range(n_features):
                    left, right = begin[a], begin[a] + np.int64(count[a])
                    for p in range(start, stop):
                        item = cur_order[f, p]
                        if node[item] == a:
                            next_order[f, left] = item
                            next_xs[f, left] = cur_xs[f, p]
                            left += 1
                        else:
                            next_order[f, right] = item
                            next_xs[f, right] = cur_xs[f, p]
                            right += 1
            if depth == 0:
                cur_xs, cur_order = next_xs, next_order
                next_xs, next_order = np.empty_like(xs), np.empty_like(order)
            else:
                cur_xs, next_xs = next_xs, cur_xs
                cur_order, next_order = next_order, cur_order
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
