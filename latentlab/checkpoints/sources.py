"""Where a checkpoint's model comes from: one class per way a model arrives, behind one protocol.

- ``RegistryClass``: one of LatentLab's own models, rebuilt from the registry and the manifest's config;
- ``InstalledClass``: a class in the user's environment, named ``package.module:Class`` or registered by an
  installed package under the entry-point group ``latentlab.models``, built from its constructor's arguments;
- ``OnnxFiles``: an encoder (and decoder) as ONNX files, run by onnxruntime;
- ``SAELensFolder``: a SAELens folder (``cfg.json`` and ``sae_weights.safetensors``).

Each source gives its ``label`` (for messages), ``capabilities`` (the views its model supports), whether it is
``exportable`` to ONNX, its ``manifest_entry`` and how it is built again (``load``). A model brought from outside
is a ``ForeignModel`` holding its source; its manifest has ``"model": "foreign"`` and, beside the usual keys::

    "source": {"kind": "class" | "entry-point" | "onnx" | "saelens",
               "class": "pkg.mod:Class", "entry_point": NAME, "config": {constructor kwargs},
               "distribution": "pkg 1.2", "encoder_outputs": 1 | 2, "folder": NAME},
    "preprocessing": {"scale": 1.0, "mean": [...], "std": [...], "input_shape": [...]},
    "gaussian": true | false, "has_decoder": true | false, "can_train": true | false,
    "files": {"weights" | "encoder" | "decoder": {"file": "NAME....", "sha256": "..."}}

Every file of ``files`` is hashed on load and must match; a class is imported again from the user's environment
(it is code, not a file LatentLab keeps). The protocol is ``checkpoints/source_protocol.py``; the sources brought
from outside live in ``checkpoints/foreign_sources.py``, and adding a way for models to arrive is one new class
there, listed in its ``FOREIGN_SOURCES``. This module holds the registry's source and the functions that find a
model's source; nothing outside these three modules asks where a model came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch

from latentlab.core.errors import LatentLabError
from latentlab.models import LatentModel, build_model, model_class
from latentlab.models.foreign import KIND as FOREIGN
from latentlab.models.validation import check_config
from latentlab.checkpoints.foreign_sources import FOREIGN_SOURCES
from latentlab.checkpoints.source_protocol import (DECODER_VIEWS, Capabilities, ModelSource,  # noqa: F401
                                                   WeightsMismatch, checked_weights)

__all__ = ["DECODER_VIEWS", "Capabilities", "ModelSource", "RegistryClass", "WeightsMismatch", "source_of",
           "source_of_manifest", "capabilities"]


@dataclass
class RegistryClass(ModelSource):
    """One of LatentLab's own models, by its registry name."""

    name: str
    kind: ClassVar[str] = "registry"

    def label(self) -> str:
        return self.name

    def manifest_entry(self, model: LatentModel, files: dict) -> dict:
        return {"model": self.name}

    def decoder_output(self, model: LatentModel) -> str:
        own = getattr(model, "decode_output", None)
        if own:
            return own
        if model.config.likelihood == "bernoulli":
            text = "probabilities in [0, 1]: the sigmoid of the decoder's logits (a Bernoulli likelihood)"
        else:
            from latentlab.models.likelihoods import describe

            text = f"values in the data's units: the mean of the decoder's likelihood, {describe(model.config)}"
        if model.quantized:
            text += ", after each latent of the code is snapped to the nearest value of its codebook"
        return text

    def load(self, path: Path, manifest: dict, weights: Path | None = None) -> tuple[LatentModel, str]:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        weights = weights or path.with_name(Path(manifest["weights"]).name)
        cls = model_class(self.name)
        config = check_config(cls.config_cls, manifest["model_config"], path.name)
        try:
            model = build_model(self.name, config)
        except (TypeError, ValueError) as exc:
            raise LatentLabError(f"{path.name}: the model config in the manifest is invalid ({exc}).") from None
        digest_ = checked_weights(path, manifest, weights)
        try:
            state = load_file(str(weights))
        except (SafetensorError, OSError, ValueError) as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise LatentLabError(f"{weights.name}: not a readable safetensors file ({reason}); re-save the checkpoint.") from None
        _validate_state(weights.name, model, state)
        model.load_state_dict(state)
        return model.eval(), digest_


def _validate_state(source: str, model: LatentModel, state: dict[str, torch.Tensor]) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise LatentLabError(
            f"{source}: the weights do not match the manifest's architecture "
            f"(missing {missing[:3]}, unexpected {extra[:3]}); the files do not belong together."
        )
    for key, ref in expected.items():
        t = state[key]
        if tuple(t.shape) != tuple(ref.shape):
            raise LatentLabError(f"{source}: tensor '{key}' has shape {tuple(t.shape)}, the manifest's model needs {tuple(ref.shape)}.")
        if not t.dtype.is_floating_point:
            raise LatentLabError(f"{source}: tensor '{key}' has dtype {t.dtype}; weights must be floating point.")
        if not torch.isfinite(t).all():
            raise LatentLabError(f"{source}: tensor '{key}' holds NaN or infinite values; the checkpoint is unusable.")


def source_of_manifest(path: Path, manifest: dict) -> ModelSource:
    """The source a checkpoint's manifest records."""
    if manifest["model"] != FOREIGN:
        return RegistryClass(manifest["model"])
    entry = manifest.get("source")
    if not isinstance(entry, dict):
        raise LatentLabError(f"{path.name}: a foreign checkpoint's manifest lacks its 'source'; add the model again.")
    kind = entry.get("kind")
    if kind not in FOREIGN_SOURCES:
        raise LatentLabError(f"{path.name}: source.kind must be one of {', '.join(FOREIGN_SOURCES)}, not {kind!r}.")
    try:
        return FOREIGN_SOURCES[kind].from_entry(entry)
    except LatentLabError as exc:
        raise LatentLabError(f"{path.name}: {exc}") from None


def source_of(model: LatentModel, model_name: str | None = None) -> ModelSource:
    """The source of a loaded or newly built model: its own when it came from outside, else the registry's."""
    return getattr(model, "source", None) or RegistryClass(model_name or type(model).__name__.lower())


def capabilities(model: LatentModel) -> Capabilities:
    """The views a model supports (see ``ModelSource.capabilities``)."""
    return source_of(model).capabilities(model)
