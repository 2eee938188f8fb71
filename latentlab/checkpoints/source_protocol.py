"""The protocol every way a model arrives follows (``checkpoints/sources.py`` says which ways there are): its
``label``, ``capabilities``, whether it is ``exportable`` to ONNX, its ``manifest_entry`` and how it is built again
(``load``), and ``Capabilities``, what a model can do and why not the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import file_sha256

if TYPE_CHECKING:  # the protocol and the weights check import no torch: the dashboard reads checkpoints without it
    import torch

    from latentlab.models import LatentModel


DECODER_VIEWS = ("reconstructions", "reconstruction error", "traversals", "interpolation", "sampling", "interventions")


@dataclass
class Capabilities:
    """What a model can do, decided by what it provides, with the reason for each thing it cannot."""

    gaussian: bool
    has_decoder: bool
    can_train: bool
    missing: dict = field(default_factory=dict)  # view -> why it is unavailable


class ModelSource:
    """The protocol every source follows (see the module docstring)."""

    kind: ClassVar[str]
    exportable: ClassVar[bool] = True  # ONNX export traces the torch module

    def label(self) -> str:
        """Where the model came from, for messages."""
        raise NotImplementedError

    def capabilities(self, model: LatentModel) -> Capabilities:
        """The views ``model`` supports: all of them with a decoder, none that decodes without one."""
        decoder = bool(model.has_decoder)
        why = f"{self.label()} provides no decode(z)"
        missing = {} if decoder else {view: why for view in DECODER_VIEWS}
        return Capabilities(bool(model.stochastic), decoder, bool(getattr(model, "can_train", True)), missing)

    def manifest_entry(self, model: LatentModel, files: dict) -> dict:
        """The manifest's keys that say what the model is and where it came from."""
        raise NotImplementedError

    def load(self, path: Path, manifest: dict, weights: Path | None = None) -> tuple[LatentModel, str]:
        """The model the manifest at ``path`` describes (eval mode, CPU; its weights from ``weights`` when given)
        and its fingerprint."""
        raise NotImplementedError

    def state_dict(self, model: LatentModel) -> dict:
        """The weights a checkpoint of ``model`` keeps."""
        return model.state_dict()

    def traced_encode(self, model: LatentModel, items: torch.Tensor):
        """What an exporter traces: ``encode`` without checks that depend on the values."""
        return model.encode(items)

    def decoder_output(self, model: LatentModel) -> str:
        """What ``decoder.onnx`` gives, in words."""
        raise NotImplementedError

    def preprocessing_note(self, model: LatentModel) -> str:
        """For an export's description: where the model's own preprocessing went ("" when it has none)."""
        return ""

    def export_entry(self) -> dict:
        """What an export's ``export.json`` records of the source."""
        return {}


class WeightsMismatch(LatentLabError):
    """The weights file is not the one the manifest records."""


def checked_weights(path: Path, manifest: dict, weights: Path) -> str:
    """The sha256 of a checkpoint's weights file, once it is a safetensors file that exists, is within the size
    limit and has the sha256 the manifest at ``path`` records (``WeightsMismatch`` when it has another)."""
    from latentlab.core.limits import human_bytes, limit

    if weights.suffix != ".safetensors":
        raise LatentLabError(f"{path.name}: weights must be a .safetensors file, not '{weights.name}'; pickled weights are refused.")
    if not weights.exists():
        raise LatentLabError(f"{path.name}: its weights file {weights.name} is missing; copy it next to the manifest.")
    if weights.stat().st_size > limit("max_checkpoint_bytes"):
        raise LatentLabError(f"{weights.name}: {human_bytes(weights.stat().st_size)} is over the checkpoint limit of "
                             f"{human_bytes(limit('max_checkpoint_bytes'))}.")
    digest_ = file_sha256(weights)
    recorded = manifest.get("weights_sha256")
    if recorded is not None and recorded != digest_:
        raise WeightsMismatch(f"{weights.name}: its contents do not match the weights_sha256 in {path.name} (the file "
                              "was changed or swapped); restore the original weights or save the checkpoint again.")
    return digest_
