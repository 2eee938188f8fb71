"""Latent interventions: push one latent (or a direction) to an extreme across many items and measure
what changes in the decoded output.

The protocol of "Approaching an unknown communication system by latent space exploration and causal
inference" (Begus, Leban & Gero 2023, arXiv:2303.10931; causal disentanglement with extreme values,
CDEV), applied to an encoder's codes rather than a GAN's latent draws: for each of ``n`` items, set the target to its
low extreme and to its high extreme with every other latent held at the item's own code, decode both, and
compare.

- ``output_effect`` (T, *item_shape): the mean absolute change of each output feature (pixel), a map of
  where the target acts.
- ``factor_effect`` (T, F): how far the decoded outputs move in each ground-truth factor (or label), as
  judged by linear probes, in [0, 1] (see ``_Probes``). The probes are fitted on the model's own
  reconstructions of items with known factors (so they read decoded outputs, not sharper real items),
  on the outputs average-pooled to at most 16x16 a channel. ``probe_score`` gives each probe's held-out
  score; a factor no linear probe can read has NaN effects.

Extremes are ``span`` units of the model's latent frame either side of its centre (the prior for VAEs, the
codes' statistics otherwise), a quantized latent's lowest and highest codebook values, or for a direction
``span`` of its units either side of each item's code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.analysis.decoding.traversal import decode_latents
from latentlab.core.errors import LatentLabError

POOL_TO = 16  # images are average-pooled to at most this many pixels a side before a probe reads them
DECODE_BATCH = 512


@dataclass
class Interventions:
    targets: list[str]  # "z3", or a direction's spec
    low: np.ndarray  # (T,) the low extreme (a latent value, or travel along a direction)
    high: np.ndarray  # (T,)
    output_effect: np.ndarray  # (T, *item_shape) mean |decode(high) - decode(low)|
    factor_names: list[str]
    factor_effect: np.ndarray | None  # (T, F)
    probe_score: np.ndarray | None  # (F,) held-out R^2, or chance-corrected accuracy, of each probe
    n: int  # items intervened on

    def to_frame(self):
        """The latent x factor effect matrix as a table (or each target's mean output change, with no factors)."""
        import pandas as pd

        mean_change = self.output_effect.reshape(len(self.targets), -1).mean(1)
        frame = pd.DataFrame({"target": self.targets, "mean_output_change": mean_change})
        if self.factor_effect is not None:
            for f, name in enumerate(self.factor_names):
                frame[name] = self.factor_effect[:, f]
        return frame


def _pooled(x: np.ndarray) -> np.ndarray:
    """Probe features: images average-pooled to at most ``POOL_TO`` a side, flattened; other items flattened."""
    if x.ndim == 4 and x.shape[-1] > POOL_TO:
        f = int(np.ceil(x.shape[-1] / POOL_TO))
        h, w = (x.shape[2] // f) * f, (x.shape[3] // f) * f
        x = x[:, :, :h, :w].reshape(x.shape[0], x.shape[1], h // f, f, w // f, f).mean((3, 5))
    return x.reshape(len(x), -1).astype(np.float64)


class _Probes:
    """Linear read-outs of the factors (and labels) from decoded outputs.

    Labels (and any factor that is not numeric) are read by a multinomial logistic regression, and a
    change is the total-variation distance between its predicted class distributions; a numeric factor,
    taken as ordered, by a ridge regression (its penalty chosen by cross-validation), its readings clipped
    to the factor's range, and a change is the absolute difference as a share of that range. Both kinds
    of effect lie in [0, 1]. A probe whose held-out score (R^2, or accuracy above chance as a share of
    what is left above chance) is under ``MIN_SCORE`` cannot read its factor from the outputs: its
    effects are NaN rather than noise.
    """

    MIN_SCORE = 0.3

    def __init__(self, outputs: np.ndarray, factors, labels, label_name: str, seed: int):
        feats = _pooled(outputs)
        self.mu, self.sd = feats.mean(0), feats.std(0) + 1e-6
        feats = (feats - self.mu) / self.sd
        order = np.random.default_rng(seed).permutation(len(feats))
        fit, held = order[: int(0.8 * len(order))], order[int(0.8 * len(order)):]
        self.names, self.models, self.ranges, self.scores = [], [], [], []
        columns = [] if factors is None else [(name, factors[name].to_numpy()) for name in factors.columns]
        if labels is not None and label_name not in [c for c, _ in columns]:  # shapes' label is its shape factor
            columns.append((label_name, np.asarray(labels)))
        for name, y in columns:
            values = np.unique(y)
            if len(values) < 2 or len(np.unique(y[fit])) < 2:
                continue
            if y.dtype.kind not in "iuf":
                self._classifier(name, feats, y.astype(str), fit, held)
            else:
                self._regressor(name, feats, y.astype(np.float64), fit, held)

    def _classifier(self, name, feats, y, fit, held):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(max_iter=500, C=0.1).fit(feats[fit], y[fit])
        chance = np.unique(y[held], return_counts=True)[1].max() / len(held)
        score = (model.score(feats[held], y[held]) - chance) / max(1 - chance, 1e-9)
        self._add(name, model, None, score)

    def _regressor(self, name, feats, y, fit, held):
        from sklearn.linear_model import RidgeCV

        model = RidgeCV(alphas=np.logspace(-1, 4, 11)).fit(feats[fit], y[fit])
        self._add(name, model, (float(y.min()), float(y.max())), model.score(feats[held], y[held]))

    def _add(self, name, model, value_range, score):
        self.names.append(name)
        self.models.append(model)
        self.ranges.append(value_range)
        self.scores.append(float(score))

    def change(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """(F,) the mean change of each probe's reading between two sets of decoded outputs, in [0, 1]."""
        a, b = ((_pooled(x) - self.mu) / self.sd for x in (low, high))
        out = []
        for model, value_range, score in zip(self.models, self.ranges, self.scores):
            if score < self.MIN_SCORE:
                out.append(np.nan)
            elif value_range is None:  # a classifier: total variation between predicted class distributions
                out.append(0.5 * np.abs(model.predict_proba(a) - model.predict_proba(b)).sum(1).mean())
            else:
                lo, hi = value_range
                change = np.abs(np.clip(model.predict(b), lo, hi) - np.clip(model.predict(a), lo, hi))
                out.append(change.mean() / max(hi - lo, 1e-12))
        return np.asarray(out, np.float64)


def _decode(model, z: np.ndarray) -> np.ndarray:
    return np.concatenate([decode_latents(model, z[i:i + DECODE_BATCH]) for i in range(0, len(z), DECODE_BATCH)])


def intervene(model, codes: np.ndarray, targets: list, center: np.ndarray, scale: np.ndarray,
              codebook: np.ndarray | None = None, span: float = 3.0, probe_codes: np.ndarray | None = None, factors=None, labels=None, label_name: str = "label",
              seed: int = 0) -> Interventions:
    """Intervene on each of ``targets`` (latent indices, or ``Direction`` objects) for every row of ``codes``.

    ``probe_codes`` (M, D), with the ``factors`` (a DataFrame) and/or ``labels`` of those M items, are
    decoded to fit the probes; without them only ``output_effect`` is measured.
    """
    codes = np.asarray(codes, np.float32)
    if len(codes) == 0 or not targets:
        raise LatentLabError("Interventions need at least one item and one latent or direction.")
    D = codes.shape[1]
    probes = None
    if probe_codes is not None and (factors is not None or labels is not None):
        probes = _Probes(_decode(model, np.asarray(probe_codes, np.float32)), factors, labels, label_name, seed)
        if not probes.names:
            probes = None
    names, lows, highs, effects, factor_rows = [], [], [], [], []
    for target in targets:
        low_z, high_z = codes.copy(), codes.copy()
        if isinstance(target, (int, np.integer)):
            d = int(target)
            if not 0 <= d < D:
                raise LatentLabError(f"Latent z{d} is out of range; this model has z0..z{D - 1}.")
            if codebook is not None:
                lo, hi = float(codebook[d].min()), float(codebook[d].max())
            else:
                lo, hi = float(center[d] - span * scale[d]), float(center[d] + span * scale[d])
            low_z[:, d], high_z[:, d] = lo, hi
            names.append(f"z{d}")
        else:  # a Direction: travel -span .. +span of its units from each item's own code
            lo, hi = -span, span
            low_z -= span * target.scale * target.vector
            high_z += span * target.scale * target.vector
            names.append(target.name)
        low_x, high_x = _decode(model, low_z), _decode(model, high_z)
        lows.append(lo)
        highs.append(hi)
        effects.append(np.abs(high_x - low_x).mean(0))
        if probes is not None:
            factor_rows.append(probes.change(low_x, high_x))
    return Interventions(names, np.asarray(lows), np.asarray(highs), np.stack(effects).astype(np.float32),
                         probes.names if probes else [], np.stack(factor_rows) if probes else None,
                         np.asarray(probes.scores) if probes else None, len(codes))
