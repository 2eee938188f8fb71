"""What a model's training hooks may see of the run that trains it.

``LatentModel.begin_training`` and ``after_step`` receive a ``TrainingContext``: the data, the seed, the step
counter and the device. The trainer is one (it has these attributes); the models never import the trainer, so
the training loop can depend on the models and not the other way round.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch


class TrainingItems(Protocol):
    """The dataset being trained on, as the hooks read it."""

    name: str

    def __len__(self) -> int: ...

    def as_float(self, rows: np.ndarray) -> np.ndarray: ...  # (len(rows), *item_shape) float32


class TrainingSettings(Protocol):
    seed: int


class TrainingProgress(Protocol):
    step: int  # optimizer steps taken, the current one included
    total: int  # steps the run will take


class TrainingContext(Protocol):
    dataset: TrainingItems
    config: TrainingSettings
    state: TrainingProgress
    device: torch.device
