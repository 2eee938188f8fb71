"""Feature views of a latent space: what SAELens and Neuronpedia show for a sparse autoencoder's features,
for the codes of any model.

A feature is one latent dimension. Over a dataset's codes (an ``Embedding``'s means, (N, D)) this module
gives how often each feature fires (its density; a dead feature never fires on the data), the histogram of
its activations, its top-activating items, and the features ranked by density or by how they split a label.

What "fires" means depends on the codes. Sparse codes (at least half their values exact zeros, as a TopK
SAE's are): the feature is non-zero. Dense codes (a VAE's, where every latent is non-zero on every item):
the feature is above its own mean over the dataset, so the label split still asks "which items push this
latent up", and densities sit near one half.

Every function reads the codes a block of rows at a time (``CHUNK_VALUES`` values), so its temporary memory
is bounded by the block whatever N is, and the codes may be a memory map. Plain NumPy, no streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from latentlab.core.errors import LatentLabError

CHUNK_VALUES = 2**22  # values read per block (16 MB of float32)
SPARSE_ZEROS = 0.5  # codes with at least this share of exact zeros are sparse
MAX_CLASSES = 256  # a label split over more classes than this is refused
TOP_ITEMS = 24


def _blocks(n_rows: int, n_cols: int):
    step = max(1, CHUNK_VALUES // max(1, n_cols))
    for start in range(0, n_rows, step):
        yield start, min(start + step, n_rows)


@dataclass
class FeatureStats:
    """Per-feature counts over a dataset's codes.

    n_items : number of items (rows)
    sparse : whether the codes are sparse (see the module docstring), which sets what firing means
    mean : (D,) mean activation over all items (a dense feature fires above it)
    fires : (D,) items on which each feature fires
    active_sum : (D,) summed activation over the items where it fires
    maximum : (D,) largest activation
    zero_share : share of exact zeros among all N x D values
    """

    n_items: int
    sparse: bool
    mean: np.ndarray
    fires: np.ndarray
    active_sum: np.ndarray
    maximum: np.ndarray
    zero_share: float

    @property
    def n_features(self) -> int:
        return len(self.fires)

    @property
    def density(self) -> np.ndarray:
        """(D,) the share of items on which each feature fires: its firing frequency."""
        return self.fires / max(self.n_items, 1)

    @property
    def dead(self) -> np.ndarray:
        """(D,) bool: features that never fire on these items."""
        return self.fires == 0

    @property
    def mean_active(self) -> np.ndarray:
        """(D,) mean activation where the feature fires (NaN for dead ones)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.fires > 0, self.active_sum / np.maximum(self.fires, 1), np.nan)

    @property
    def l0(self) -> float:
        """Features firing per item, on average."""
        return float(self.fires.sum() / max(self.n_items, 1))

    def log10_density(self) -> np.ndarray:
        """log10 of the density of the features that fire at all (dead ones left out)."""
        return np.log10(self.density[~self.dead])

    def firing(self, block: np.ndarray, columns=slice(None)) -> np.ndarray:
        """(B, d) bool: where the features (``columns``) fire in a block of their codes."""
        return block != 0 if self.sparse else block > self.mean[columns]


def feature_stats(codes: np.ndarray) -> FeatureStats:
    """Density, dead features and activation summaries of codes (N, D), in blocks of rows."""
    codes = _check_codes(codes)
    N, D = codes.shape
    zeros, total = np.zeros(D, np.int64), np.zeros(D, np.float64)
    maximum = np.full(D, -np.inf)
    for a, b in _blocks(N, D):
        block = np.asarray(codes[a:b], dtype=np.float32)
        zeros += (block == 0).sum(0)
        total += block.sum(0, dtype=np.float64)
        maximum = np.maximum(maximum, block.max(0))
    zero_share = float(zeros.sum() / max(N * D, 1))
    stats = FeatureStats(N, zero_share >= SPARSE_ZEROS, (total / N).astype(np.float32), N - zeros, total, maximum,
                         zero_share)
    if not stats.sparse:  # firing is "above the mean": a second pass now that the mean is known
        fires, active = np.zeros(D, np.int64), np.zeros(D, np.float64)
        for a, b in _blocks(N, D):
            block = np.asarray(codes[a:b], dtype=np.float32)
            on = stats.firing(block)
            fires += on.sum(0)
            active += np.where(on, block, 0.0).sum(0, dtype=np.float64)
        stats.fires, stats.active_sum = fires, active
    return stats


def _check_codes(codes: np.ndarray) -> np.ndarray:
    if codes.ndim != 2 or codes.shape[0] == 0:
        raise LatentLabError(f"Feature views need codes of shape (items, features), not {codes.shape}.")
    return codes


def _check_feature(stats: FeatureStats, feature: int) -> int:
    if not 0 <= int(feature) < stats.n_features:
        raise LatentLabError(f"Feature {feature} is out of range; these codes have features 0..{stats.n_features - 1}.")
    return int(feature)


def feature_values(codes: np.ndarray, feature: int, stats: FeatureStats) -> np.ndarray:
    """The activations (n,) of one feature on the items where it fires (sparse codes), or on every item
    (dense codes, whose histogram is the whole distribution)."""
    d = _check_feature(stats, feature)
    parts = []
    for a, b in _blocks(len(codes), codes.shape[1]):
        column = np.asarray(codes[a:b, d], dtype=np.float32)
        parts.append(column[column != 0] if stats.sparse else column)
    return np.concatenate(parts)


def activation_histogram(codes: np.ndarray, feature: int, stats: FeatureStats, bins: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """(counts (bins,), edges (bins + 1,)) of one feature's activations (see ``feature_values``)."""
    values = feature_values(codes, feature, stats)
    if not len(values):
        return np.zeros(0, np.int64), np.zeros(1)
    return np.histogram(values, bins=bins)


def top_activating(codes: np.ndarray, feature: int, stats: FeatureStats, n: int = TOP_ITEMS) -> tuple[np.ndarray, np.ndarray]:
    """The (at most) ``n`` rows where a feature is largest among those where it fires, largest first:
    (rows (m,), activations (m,)). Each block keeps its own top ``n``; the survivors are merged."""
    d = _check_feature(stats, feature)
    rows, values = np.zeros(0, np.int64), np.zeros(0, np.float32)
    for a, b in _blocks(len(codes), codes.shape[1]):
        column = np.asarray(codes[a:b, d], dtype=np.float32)
        on = np.flatnonzero(stats.firing(column, d))
        if len(on) > n:
            on = on[np.argpartition(-column[on], n - 1)[:n]]
        rows, values = np.concatenate([rows, on + a]), np.concatenate([values, column[on]])
        if len(rows) > n:
            keep = np.argpartition(-values, n - 1)[:n]
            rows, values = rows[keep], values[keep]
    order = np.lexsort((rows, -values))  # largest first; ties by row
    return rows[order], values[order]


@dataclass
class LabelSplit:
    """How each feature's firing splits the items' classes.

    classes : (C,) the class names
    counts : (D, C) items of each class on which each feature fires
    class_totals : (C,) items of each class
    """

    classes: np.ndarray
    counts: np.ndarray
    class_totals: np.ndarray

    @property
    def fires(self) -> np.ndarray:
        return self.counts.sum(1)

    @property
    def best_class(self) -> np.ndarray:
        """(D,) index of the class most of a feature's firing items belong to."""
        return self.counts.argmax(1)

    @property
    def precision(self) -> np.ndarray:
        """(D,) the share of a feature's firing items that are of its best class (NaN for dead features)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.fires > 0, self.counts.max(1) / np.maximum(self.fires, 1), np.nan)

    @property
    def recall(self) -> np.ndarray:
        """(D,) the share of the best class's items on which the feature fires."""
        return self.counts.max(1) / np.maximum(self.class_totals[self.best_class], 1)

    @property
    def mutual_information(self) -> np.ndarray:
        """(D,) I(fires; class) in bits: 0 for a feature that fires regardless of class, up to H(class)."""
        N = self.class_totals.sum()
        on = self.counts / N  # (D, C) p(fires, c)
        off = (self.class_totals[None, :] - self.counts) / N  # (D, C) p(does not fire, c)
        p_class = self.class_totals / N  # (C,)
        p_on = on.sum(1, keepdims=True)  # (D, 1)

        def part(joint, marginal):
            with np.errstate(invalid="ignore", divide="ignore"):
                terms = joint * np.log2(joint / (marginal * p_class[None, :]))
            return np.nan_to_num(terms, nan=0.0, posinf=0.0, neginf=0.0).sum(1)

        return np.maximum(part(on, p_on) + part(off, 1.0 - p_on), 0.0)


def label_split(codes: np.ndarray, labels: np.ndarray, stats: FeatureStats) -> LabelSplit:
    """Count, per feature and class, the items on which the feature fires; in blocks of rows."""
    labels = np.asarray(labels)
    if len(labels) != len(codes):
        raise LatentLabError(f"There are {len(labels):,} labels for {len(codes):,} items; they must match one to one.")
    classes, inverse = np.unique(labels, return_inverse=True)
    if len(classes) > MAX_CLASSES:
        raise LatentLabError(f"The labels have {len(classes):,} classes; a label split takes at most {MAX_CLASSES}.")
    inverse = inverse.ravel()
    counts = np.zeros((codes.shape[1], len(classes)), np.float64)
    for a, b in _blocks(len(codes), codes.shape[1]):
        on = stats.firing(np.asarray(codes[a:b], dtype=np.float32)).astype(np.float32)  # (B, D)
        onehot = np.zeros((b - a, len(classes)), np.float32)
        onehot[np.arange(b - a), inverse[a:b]] = 1.0
        counts += on.T @ onehot  # (D, C); exact: float32 sums of 0/1 within a block
    return LabelSplit(classes, counts.round().astype(np.int64), np.bincount(inverse, minlength=len(classes)))


@dataclass(frozen=True)
class Ranking:
    title: str  # what the dashboard shows
    column: str  # the column of ``feature_table`` it sorts by
    ascending: bool
    needs_labels: bool = False


RANKINGS = {  # keyed by the short names the command line takes
    "density": Ranking("density, most frequent first", "density", False),
    "rare": Ranking("density, rarest first", "density", True),
    "mi": Ranking("label split, mutual information", "MI (bits)", False, needs_labels=True),
    "precision": Ranking("label split, best-class precision", "precision", False, needs_labels=True),
}


def feature_table(stats: FeatureStats, split: LabelSplit | None = None) -> pd.DataFrame:
    """One row per feature: density, log10 density, dead, mean and largest activation, and with a label
    split its best class, that class's precision and recall, and the mutual information."""
    table = pd.DataFrame({
        "feature": np.arange(stats.n_features),
        "density": stats.density,
        "log10 density": np.where(stats.dead, -np.inf, np.log10(np.maximum(stats.density, 1e-300))),
        "dead": stats.dead,
        "mean activation": stats.mean_active,
        "max activation": stats.maximum,
    })
    if split is not None:
        table["best class"] = split.classes[split.best_class].astype(str)
        table["precision"] = split.precision
        table["recall"] = split.recall
        table["MI (bits)"] = split.mutual_information
    return table


def rank_features(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """The table ordered by one of ``RANKINGS`` (its short name); ties go to the feature that fires more often
    (a precision of 1 on a single item says little), and dead features always come last."""
    if by not in RANKINGS:
        raise LatentLabError(f"Unknown ranking '{by}'; choose one of: {', '.join(RANKINGS)}.")
    column, ascending = RANKINGS[by].column, RANKINGS[by].ascending
    if column not in table:
        raise LatentLabError(f"Ranking by '{RANKINGS[by].title}' needs labels; pick a label to split by.")
    key = table[column].fillna(-np.inf if not ascending else np.inf)
    order = np.lexsort((table["feature"].to_numpy(), -table["density"].to_numpy(),
                        (key if ascending else -key).to_numpy(), table["dead"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def training_dead(model) -> np.ndarray | None:
    """(D,) bool: the features a model counted as dead when its training stopped (a TopK SAE tracks this);
    None for a model that does not."""
    dead = getattr(model, "dead_features", None)
    return None if dead is None else dead().detach().cpu().numpy().astype(bool)
