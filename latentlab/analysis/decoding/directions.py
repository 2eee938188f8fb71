"""Directions in a latent space worth traversing, beyond the axes.

- ``centroid:A-B``: from the centroid of group A to the centroid of group B (groups are the dataset's
  label classes, or any cluster labels given), so the traversal decodes A's centre at one end and B's at
  the other.
- ``pca:K``: the K-th principal component of the codes, from -span to +span standard deviations along it
  (its singular value over sqrt(N - 1)), through the base point.
- ``probe:label=V`` / ``probe:FACTOR``: a linear probe, a logistic regression of "label is V" on the
  codes, or a least-squares fit of a ground-truth factor (an interpretable direction), taken as its
  activation pattern (Haufe et al. 2014, the codes' covariance times the weights) and traversed in
  standard deviations of the codes' projection on it.

Each gives a ``Direction``: a unit ``vector`` (D,), the ``scale`` of one unit of travel, and for a
centroid path its two ``ends``. Everything is NumPy over the codes; nothing here decodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from latentlab.core.errors import LatentLabError
from latentlab.core.rows import row_sample

FIT_SAMPLE = 20_000  # codes a principal component or a probe is fitted on (a seeded sample of more)
SYNTAX = "centroid:A-B, pca:K, probe:label=V or probe:FACTOR"


@dataclass
class Direction:
    name: str  # the spec it came from, e.g. "pca:0"
    vector: np.ndarray  # (D,) unit length
    scale: float  # latent distance of one unit of travel (a standard deviation along the vector)
    ends: tuple[np.ndarray, np.ndarray] | None = None  # (D,) start and end of a centroid-to-centroid path
    description: str = ""

    def path(self, base: np.ndarray, steps: int = 9, span: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
        """(codes (steps, D), travel (steps,)) along the direction.

        A centroid path goes from its first end (travel 0) to its second (travel 1) whatever ``base``;
        any other direction passes through ``base``, from -span to +span units of ``scale``.
        """
        if self.ends is not None:
            t = np.linspace(0.0, 1.0, steps, dtype=np.float32)
            a, b = self.ends
            return (a[None, :] + t[:, None] * (b - a)[None, :]).astype(np.float32), t
        t = np.linspace(-span, span, steps, dtype=np.float32)
        codes = np.asarray(base, np.float32)[None, :] + (t * self.scale)[:, None] * self.vector[None, :]
        return codes.astype(np.float32), t


def _sample(n: int, seed: int = 0) -> np.ndarray:
    return row_sample(n, FIT_SAMPLE, seed)


def _unit(v: np.ndarray, what: str) -> tuple[np.ndarray, float]:
    norm = float(np.linalg.norm(v))
    if not np.isfinite(norm) or norm < 1e-12:
        raise LatentLabError(f"The {what} direction is zero: the two ends coincide or the fit found nothing; pick another.")
    return (v / norm).astype(np.float32), norm


def centroid_direction(codes: np.ndarray, groups: np.ndarray, a, b, what: str = "label") -> Direction:
    """From the mean code of group ``a`` to that of group ``b`` (``groups`` (N,) labels or clusters)."""
    groups = np.asarray(groups)
    keys = {str(g): g for g in np.unique(groups)}
    missing = [str(v) for v in (a, b) if str(v) not in keys]
    if missing:
        shown = ", ".join(list(keys)[:20])
        raise LatentLabError(f"No {what} {' or '.join(missing)} in this dataset; its {what}s are {shown}.")
    ends = tuple(np.asarray(codes[groups == keys[str(v)]], np.float64).mean(0).astype(np.float32) for v in (a, b))
    vector, length = _unit(ends[1] - ends[0], f"{what} {a} to {b}")
    return Direction(f"centroid:{a}-{b}", vector, length, ends, f"from the centroid of {what} {a} to that of {what} {b}")


def pca_direction(codes: np.ndarray, k: int, seed: int = 0) -> Direction:
    """The ``k``-th principal component of the codes (fitted on a seeded sample of a large set)."""
    D = codes.shape[1]
    if not 0 <= k < D:
        raise LatentLabError(f"pca:{k} is out of range; this space has components 0..{D - 1}.")
    x = np.asarray(codes[_sample(len(codes), seed)], np.float64)
    x = x - x.mean(0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    vector = vt[k] * np.sign(vt[k][np.abs(vt[k]).argmax()])  # a stable sign: the largest loading positive
    share = s[k] ** 2 / max((s ** 2).sum(), 1e-12)
    return Direction(f"pca:{k}", vector.astype(np.float32), float(s[k] / np.sqrt(max(len(x) - 1, 1))),
                     description=f"principal component {k} of the codes ({share:.0%} of their variance)")


def probe_direction(codes: np.ndarray, target: np.ndarray, name: str, categorical: bool, value=None,
                    seed: int = 0) -> Direction:
    """A linear probe's direction: logistic regression of ``target == value`` (categorical), or least
    squares of ``target`` on the standardised codes; mapped back to latent units and normalised."""
    rows = _sample(len(codes), seed)
    x = np.asarray(codes[rows], np.float64)
    mu, sd = x.mean(0), x.std(0) + 1e-8
    xs = (x - mu) / sd
    target = np.asarray(target)[rows]
    if categorical:
        keys = {str(v): v for v in np.unique(target)}
        if str(value) not in keys:
            raise LatentLabError(f"No {name} {value} in this dataset; its values are {', '.join(list(keys)[:20])}.")
        y = target == keys[str(value)]
        if y.all() or not y.any():
            raise LatentLabError(f"Every item, or none, has {name} {value}; a probe needs both kinds.")
        from sklearn.linear_model import LogisticRegression

        weights = LogisticRegression(max_iter=1000, class_weight="balanced").fit(xs, y).coef_[0]
        spec, text = f"probe:{name}={value}", f"a linear probe for {name} = {value}"
    else:
        y = np.asarray(target, np.float64)
        if y.std() == 0:
            raise LatentLabError(f"Factor {name} is constant in this dataset; a probe needs it to vary.")
        weights = np.linalg.lstsq(np.c_[xs, np.ones(len(xs))], (y - y.mean()) / y.std(), rcond=None)[0][:-1]
        spec, text = f"probe:{name}", f"a linear probe for {name} (increasing)"
    # The probe's activation pattern (Haufe et al. 2014): the covariance of the codes times its weights,
    # the direction along which the codes actually vary with the target. The weights alone (the filter)
    # lean on near-constant latents, where a tiny move flips the probe but the decoder sees nothing.
    pattern = np.cov(xs, rowvar=False).reshape(xs.shape[1], xs.shape[1]) @ weights * sd
    vector, _ = _unit(pattern, text)
    return Direction(spec, vector, float((x @ vector).std()) or 1.0, description=text)


def parse(spec: str) -> tuple[str, tuple]:
    """``"centroid:3-7"`` -> ("centroid", ("3", "7")); ``"pca:0"`` -> ("pca", (0,)); ``"probe:label=4"`` ->
    ("probe", ("label", "4")); ``"probe:scale"`` -> ("probe", ("scale", None))."""
    kind, _, arg = str(spec).partition(":")
    if kind == "centroid" and (m := re.fullmatch(r"(.+?)-(.+)", arg)):
        return kind, (m.group(1), m.group(2))
    if kind == "pca" and arg.isdigit():
        return kind, (int(arg),)
    if kind == "probe" and arg:
        name, eq, value = arg.partition("=")
        return kind, (name, value if eq else None)
    raise LatentLabError(f"Cannot read the direction '{spec}'; write it as {SYNTAX}.")


def make_direction(spec: str, codes: np.ndarray, labels: np.ndarray | None = None, label_name: str = "label",
                   factors=None, groups: np.ndarray | None = None, seed: int = 0) -> Direction:
    """The direction ``spec`` in the space of ``codes`` (N, D).

    ``labels`` and ``factors`` (a DataFrame) are the dataset's; ``groups`` (N,), when given, are the
    groups a centroid path joins (clusters), else the labels.
    """
    kind, args = parse(spec)
    if kind == "pca":
        return pca_direction(codes, args[0], seed)
    if kind == "centroid":
        source = groups if groups is not None else labels
        if source is None:
            raise LatentLabError("This dataset has no labels to take centroids of; cluster it first (Clusters page, "
                                 "or pass cluster labels) or use a pca: or probe: direction.")
        return centroid_direction(codes, source, *args, what="cluster" if groups is not None else label_name)
    name, value = args
    if value is not None:
        if name not in ("label", label_name) or labels is None:
            raise LatentLabError(f"probe:{name}={value} needs labels named '{name}'; this dataset has "
                                 f"{'none' if labels is None else repr(label_name)}.")
        return probe_direction(codes, labels, label_name, True, value, seed)
    if factors is None or name not in factors.columns:
        known = [] if factors is None else list(factors.columns)
        raise LatentLabError(f"No ground-truth factor '{name}' here; "
                             + (f"the factors are {', '.join(known)}." if known else "this dataset has no factors."))
    return probe_direction(codes, factors[name].to_numpy(), name, False, seed=seed)
