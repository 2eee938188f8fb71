"""``dec``: deep embedded clustering, Xie, Girshick & Farhadi 2016, "Unsupervised Deep Embedding for
Clustering Analysis" (ICML 2016, arXiv:1511.06335).

An autoencoder learns codes z = f(x); k-means on the codes places K centroids mu_j; then the encoder
and the centroids are trained together to sharpen the clusters:

    q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha + 1) / 2) / sum_j' (...)    Student-t, alpha = 1
    p_ij = (q_ij^2 / f_j) / sum_j' (q_ij'^2 / f_j'),   f_j = sum_i q_ij           the target distribution
    L    = KL(P || Q) = sum_i sum_j p_ij log(p_ij / q_ij)

P is computed from the model as it stood at the last target update and held fixed for
``update_interval`` steps. At each update the fraction of items whose hard assignment (argmax_j q_ij)
changed since the previous update is measured; training stops when it is below ``tol`` (the paper:
0.1%).

One training run holds both phases: ``pretrain_steps`` steps of reconstruction only, then the centroids
are set by k-means (20 restarts, as in the paper) on the codes, and the clustering phase runs until
``tol`` is met or the run's steps are spent. ``init_from`` starts from the encoder and decoder of an
``ae`` or ``vae`` checkpoint (a VAE's encoder gives its posterior means); ``pretrain_steps`` then adds
reconstruction steps on top of it (0 clusters at once). A run that ends during pretraining still gets
its k-means centroids at its last step, so its checkpoint is an autoencoder with k-means clusters.

P uses each item's assignments under the model of the last update. Rather than storing P for every
item, the model keeps a frozen copy of that update's encoder and centroids and the cluster frequencies
f_j over the data, and computes a batch's P from them: the same P, with memory that does not grow
with the dataset.

Departures from the paper:

- Pretraining trains the whole autoencoder end to end on the reconstruction loss (LatentLab's
  likelihood: Bernoulli for images, Gaussian for tables), not the paper's greedy layer-wise stacked
  denoising autoencoder with 20% dropout and then end-to-end fine-tuning.
- The networks are LatentLab's (``hidden``, default 256-128 here; the paper uses d-500-500-2000-10
  with 10 latents) and the optimizer is Adam at the run's ``lr`` for both phases (the paper: SGD,
  learning rate 0.01 for the clustering phase).
- The decoder is dropped from the clustering loss, as in the paper, by default; ``recon_weight`` > 0
  keeps its reconstruction term in the loss with that weight (as IDEC, Guo et al. 2017, does). The
  reconstruction term is logged either way, and the decoder is kept, so reconstructions and traversals
  still work (they drift from the codes as the encoder moves when the weight is 0).
- The loss is the mean over a batch of each item's KL(P_i || Q_i) (the paper sums over items).
- On data larger than ``TARGET_SAMPLE`` items, the k-means initialisation, the frequencies f_j and the
  ``tol`` test use a fixed seeded sample of that many items.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from latentlab.core.errors import LatentLabError
from latentlab.core.rows import row_sample
from latentlab.models.base import LatentModel, LossOutput, ModelConfig

if TYPE_CHECKING:
    from latentlab.models.context import TrainingContext

ALPHA = 1.0  # degrees of freedom of the Student-t kernel (the paper fixes it at 1)
KMEANS_RESTARTS = 20  # the paper's k-means restarts
TARGET_SAMPLE = 70_000  # items used for k-means, the frequencies f and the tol test (MNIST's 70,000 in full)
CHUNK = 1024  # items encoded at a time for k-means and target updates
SOURCE_MODELS = ("ae", "vae", "beta-vae", "beta-tcvae")  # families init_from accepts: an MLP or conv autoencoder


@dataclass
class DECConfig(ModelConfig):
    n_clusters: int = field(default=10, metadata={"help": "number of clusters K", "min": 2, "max": 100})
    pretrain_steps: int = field(default=1000, metadata={
        "help": "reconstruction steps before k-means places the centroids and clustering starts (with init_from: "
                "further steps on the loaded weights; 0 clusters at once)", "min": 0, "max": 10**9})
    init_from: str = field(default="", metadata={
        "help": "start from this ae or vae checkpoint's encoder and decoder (same latent_dim, hidden and arch); "
                "empty: a fresh autoencoder"})
    update_interval: int = field(default=140, metadata={
        "help": "steps between updates of the target distribution P (and of the tol test)", "min": 1, "max": 10**9})
    tol: float = field(default=0.001, metadata={
        "help": "stop when fewer than this fraction of items change cluster between two target updates (the paper: 0.001)",
        "min": 0.0, "max": 1.0})
    recon_weight: float = field(default=0.0, metadata={
        "help": "weight of the reconstruction term in the clustering phase (0: the paper, the decoder is dropped)",
        "min": 0.0, "max": 1000.0})


def student_t(z: torch.Tensor, centroids: torch.Tensor, alpha: float = ALPHA) -> torch.Tensor:
    """Soft assignments q (B, K) of codes ``z`` (B, D) to ``centroids`` (K, D) under a Student-t kernel."""
    d2 = torch.cdist(z, centroids).pow(2)  # (B, K)
    kernel = (1.0 + d2 / alpha).pow(-(alpha + 1.0) / 2.0)
    return kernel / kernel.sum(1, keepdim=True)


def target_distribution(q: torch.Tensor, frequencies: torch.Tensor) -> torch.Tensor:
    """The sharpened target p (B, K): q squared, divided by the soft cluster frequencies (K,), renormalised."""
    weight = q.pow(2) / frequencies.clamp_min(1e-12)  # (B, K)
    return weight / weight.sum(1, keepdim=True)


class DEC(LatentModel):
    config_cls = DECConfig
    stochastic = False

    def __init__(self, config: DECConfig):
        super().__init__(config)
        K, D = int(config.n_clusters), int(config.latent_dim)
        self.centroids = nn.Parameter(torch.zeros(K, D))  # (K, D), set by k-means when clustering starts
        self.register_buffer("frequencies", torch.ones(K))  # f_j of the last target update
        self.register_buffer("clustering_from", torch.full((1,), -1.0))  # the step k-means ran at; -1: not yet (float: checkpoints hold floats)
        self.register_buffer("changed", torch.ones(1))  # fraction of items that changed cluster at the last update
        self._target: dict = {}  # the encoder and centroids of the last target update (frozen; not saved)
        self._previous: np.ndarray | None = None  # hard assignments at the last target update
        self._start: int | None = None  # ``clustering_from``, kept on the host once read

    @property
    def n_clusters(self) -> int:
        return int(self.config.n_clusters)

    @property
    def clustering(self) -> bool:
        """Whether the centroids are placed (the clustering phase has started)."""
        return self.start_step >= 0

    @property
    def start_step(self) -> int:
        """The step at which k-means placed the centroids, -1 before. Read from the buffer once and then kept
        here, so a training step does not wait on the device to know its phase."""
        if self._start is None:
            self._start = int(self.clustering_from[0])
        return self._start

    def assignments(self, z: torch.Tensor) -> torch.Tensor:
        return student_t(z, self.centroids)

    def prior_frame(self) -> None:
        return None  # no prior: sliders and traversals use the codes' own statistics

    # -- the loss ------------------------------------------------------------
    def loss(self, x: torch.Tensor) -> LossOutput:
        if not self.clustering:  # pretraining: an autoencoder
            z = self.encode(x).mean
            recon = self.reconstruction_loss(self.decode_logits(z), x).mean()
            zero = torch.zeros((), device=x.device)
            return LossOutput(recon, {"recon": recon, "cluster": zero, "changed": self.changed[0], "loss": recon})
        z = self.encode(x).mean  # (B, D)
        q = self.assignments(z)  # (B, K)
        with torch.no_grad():
            p = target_distribution(self._target_q(x, q), self.frequencies)  # (B, K), held fixed
        cluster = (p * (p.clamp_min(1e-12).log() - q.clamp_min(1e-12).log())).sum(1).mean()
        if self.config.recon_weight > 0:
            recon = self.reconstruction_loss(self.decode_logits(z), x).mean()
            loss = cluster + self.config.recon_weight * recon
        else:
            with torch.no_grad():  # logged only: the decoder gets no gradient, so Adam leaves it as it is
                recon = self.reconstruction_loss(self.decode_logits(z), x).mean()
            loss = cluster
        return LossOutput(loss, {"recon": recon, "cluster": cluster, "changed": self.changed[0], "loss": loss})

    def _target_q(self, x: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """The batch's assignments under the model of the last target update; outside a training run (no
        frozen copy) the current ones."""
        if not self._target:
            return q.detach()
        return student_t(self._target["encoder"](x), self._target["centroids"])

    # -- training hooks --------------------------------------------------------
    @torch.no_grad()
    def begin_training(self, trainer: "TrainingContext") -> None:
        self._rows = _sample_rows(len(trainer.dataset), trainer.config.seed)
        self._start = None  # the weights may have been loaded since
        if trainer.state.step == 0:
            self.clustering_from.fill_(-1)
            self._start = -1
            self.changed.fill_(1.0)
            if self.config.pretrain_steps == 0:
                self.start_clustering(trainer)
        elif self.clustering:  # a resumed run: the target from the weights as they are
            self._previous = None
            self.update_target(trainer)

    @torch.no_grad()
    def after_step(self, trainer: "TrainingContext") -> bool:
        st = trainer.state
        if not self.clustering:
            if st.step >= self.config.pretrain_steps or st.step >= st.total:
                self.start_clustering(trainer)
            return False
        if (st.step - self.start_step) % self.config.update_interval:
            return False
        return self.update_target(trainer) < self.config.tol

    def start_clustering(self, trainer: "TrainingContext") -> None:
        """Place the centroids by k-means on the codes, and make the first target distribution."""
        from sklearn.cluster import KMeans

        if len(self._rows) < self.n_clusters:
            raise LatentLabError(f"DEC needs at least n_clusters = {self.n_clusters} items, but dataset "
                                 f"'{trainer.dataset.name}' has {len(self._rows)}; lower `n_clusters`.", param="n_clusters",
                                 value=self.n_clusters)
        codes = self._codes(trainer).double().cpu().numpy()
        km = KMeans(n_clusters=self.n_clusters, n_init=KMEANS_RESTARTS, random_state=int(trainer.config.seed)).fit(codes)
        self.centroids.copy_(torch.from_numpy(km.cluster_centers_).to(self.centroids))
        self.clustering_from.fill_(float(trainer.state.step))
        self._start = int(trainer.state.step)
        self._previous = None
        self.update_target(trainer)

    def update_target(self, trainer: "TrainingContext") -> float:
        """Freeze the current encoder and centroids as the target's, measure the frequencies f over the data
        and the fraction of items whose hard assignment changed since the last update (1 at the first)."""
        q = self.assignments(self._codes(trainer))  # (N, K)
        hard = q.argmax(1).cpu().numpy()
        changed = 1.0 if self._previous is None else float(np.mean(hard != self._previous))
        self._previous = hard
        self.frequencies.copy_(q.sum(0))
        self.changed.fill_(changed)
        encoder = copy.deepcopy(self.encoder).requires_grad_(False)
        self._target = {"encoder": encoder, "centroids": self.centroids.detach().clone()}
        return changed

    def _codes(self, trainer: "TrainingContext") -> torch.Tensor:
        """Codes (N, D) of the sampled rows, on the trainer's device."""
        ds, dev = trainer.dataset, trainer.device
        parts = []
        for start in range(0, len(self._rows), CHUNK):
            x = torch.from_numpy(np.ascontiguousarray(ds.as_float(self._rows[start:start + CHUNK]))).to(dev)
            parts.append(self.encode(x).mean)
        return torch.cat(parts)

    # -- starting from another checkpoint --------------------------------------
    @torch.no_grad()
    def load_autoencoder(self, source: LatentModel, name: str, model_name: str) -> None:
        """Copy the encoder and decoder of ``source``, checkpoint ``name`` (an ae or vae of the same shapes) that
        the training run resolved from ``init_from`` (see ``runs.train``), of registry model ``model_name``."""
        cfg = self.config
        if model_name not in SOURCE_MODELS:
            raise LatentLabError(f"init_from checkpoint '{name}' is a {model_name}; DEC starts from an autoencoder "
                                 f"({', '.join(SOURCE_MODELS)}): pick one of those, or leave init_from empty.")
        theirs, ours = _network_weights(source), _network_weights(self)
        fits = tuple(source.config.input_shape) == tuple(cfg.input_shape) and theirs.keys() == ours.keys() and all(
            theirs[k].shape == ours[k].shape for k in ours)
        if not fits:
            sc = source.config
            raise LatentLabError(
                f"init_from checkpoint '{name}' has networks of other shapes (items {list(sc.input_shape)}, latent_dim "
                f"{sc.latent_dim}, hidden '{sc.hidden}', arch {sc.arch}) than this DEC (items {list(cfg.input_shape)}, "
                f"latent_dim {cfg.latent_dim}, hidden '{cfg.hidden}', arch {cfg.arch}); give the same settings.")
        for key, value in ours.items():
            value.copy_(theirs[key])


def _network_weights(model: LatentModel) -> dict[str, torch.Tensor]:
    """The encoder's and decoder's tensors by name; a stochastic encoder's last layer cut to its mean half."""
    weights = {f"encoder.{k}": v for k, v in model.encoder.state_dict().items()}
    weights |= {f"decoder.{k}": v for k, v in model.decoder.state_dict().items()}
    if model.stochastic:  # the last layer gives (mean, log-variance): the first latent_dim outputs are the mean
        last = [k for k in weights if k.startswith("encoder.")][-2:]  # its weight and bias
        for k in last:
            weights[k] = weights[k][: model.config.latent_dim]
    return weights


def _sample_rows(n: int, seed: int) -> np.ndarray:
    """Every row of a dataset up to ``TARGET_SAMPLE`` items, else a fixed seeded sample of that many (ascending)."""
    return row_sample(n, TARGET_SAMPLE, seed)


__all__ = ["DEC", "DECConfig", "student_t", "target_distribution"]
