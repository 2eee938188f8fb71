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
(it is code, not a file LatentLab keeps). Adding a way for models to arrive is one new class here, listed in
``FOREIGN_SOURCES``. Nothing outside this module asks where a model came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import digest, file_sha256
from latentlab.models import LatentModel, build_model, model_class
from latentlab.models.foreign import KIND as FOREIGN
from latentlab.models.foreign import ForeignConfig, ForeignModel, Preprocessing
from latentlab.models.foreign_sources import build_module, check_config_object, load_weights, resolve_class
from latentlab.models.saelens import WEIGHTS_FILE, SAELensSAE, read_saelens_config
from latentlab.models.validation import check_config

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

        from latentlab.core.limits import human_bytes, limit

        weights = weights or path.with_name(Path(manifest["weights"]).name)
        cls = model_class(self.name)
        config = check_config(cls.config_cls, manifest["model_config"], path.name)
        try:
            model = build_model(self.name, config)
        except (TypeError, ValueError) as exc:
            raise LatentLabError(f"{path.name}: the model config in the manifest is invalid ({exc}).") from None
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
        try:
            state = load_file(str(weights))
        except (SafetensorError, OSError, ValueError) as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise LatentLabError(f"{weights.name}: not a readable safetensors file ({reason}); re-save the checkpoint.") from None
        _validate_state(weights.name, model, state)
        model.load_state_dict(state)
        return model.eval(), digest_


class WeightsMismatch(LatentLabError):
    """The weights file is not the one the manifest records."""


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


class ForeignSource(ModelSource):
    """A model brought from outside: its module is built from its files, wrapped as a ``ForeignModel``."""

    def entry(self) -> dict:
        """The manifest's ``source``."""
        raise NotImplementedError

    def module(self, files: dict[str, Path], item_shape: tuple) -> nn.Module:
        """The user's module, built from the files (``weights``, ``encoder``, ``decoder``) with its weights."""
        raise NotImplementedError

    def capabilities(self, model: LatentModel) -> Capabilities:
        caps = super().capabilities(model)
        if caps.has_decoder and not model.stochastic:
            caps.missing["sampling"] = (f"{self.label()}'s encoder gives one code, not a Gaussian posterior, so it has "
                                        "no prior")
        return caps

    def manifest_entry(self, model: LatentModel, files: dict) -> dict:
        return {"model": FOREIGN, "source": self.entry(), "preprocessing": model.preprocessing.to_dict(),
                "gaussian": bool(model.stochastic), "has_decoder": bool(model.has_decoder),
                "can_train": bool(model.can_train), "files": files}

    def load(self, path: Path, manifest: dict, weights: Path | None = None) -> tuple[ForeignModel, str]:
        config = check_config(ForeignConfig, manifest["model_config"], path.name)
        files = checked_files(path, manifest)
        prep = Preprocessing.from_dict(manifest.get("preprocessing"), tuple(config.input_shape),
                                       f"{path.name}: preprocessing")
        try:
            module = self.module(files, tuple(prep.input_shape or config.input_shape))
        except LatentLabError as exc:
            raise LatentLabError(f"{path.name}: {exc}") from None
        model = ForeignModel(module, config, bool(manifest.get("gaussian")), prep, self)
        model.eval()
        fingerprint = digest("foreign", {k: v["sha256"] for k, v in manifest["files"].items()}, self.entry(),
                             prep.to_dict(), config.to_dict())
        return model, fingerprint

    def state_dict(self, model: ForeignModel) -> dict:
        return model.inner.state_dict()  # the module's own, as it loads back into the module

    def traced_encode(self, model: ForeignModel, items: torch.Tensor):
        return model.encode_unchecked(items)  # a model from outside checks every batch's values: a trace cannot

    def decoder_output(self, model: ForeignModel) -> str:
        return (f"what {self.label()}'s decode(z) gives, with the model's own preprocessing undone (items in the "
                "dataset's units)")

    def preprocessing_note(self, model: ForeignModel) -> str:
        import json

        own = model.preprocessing.to_dict()
        if own["scale"] == 1.0 and not own["mean"] and not own["std"] and not own["input_shape"]:
            return ""
        return (f"; the model's own preprocessing ({json.dumps(own)}) is inside encoder.onnx and undone inside "
                "decoder.onnx")

    def export_entry(self) -> dict:
        return {"source": self.entry()}


@dataclass
class InstalledClass(ForeignSource):
    """A class in the user's environment: ``ref`` is ``package.module:Class`` or an installed entry point's name."""

    ref: str
    config: dict = field(default_factory=dict)
    entry_point: str | None = None
    class_path: str | None = None
    distribution: str | None = None

    @property
    def kind(self) -> str:
        return "entry-point" if self.entry_point else "class"

    @classmethod
    def named(cls, ref: str, config: dict | None = None) -> tuple["InstalledClass", type[nn.Module]]:
        """The source ``ref`` names, with its class imported (one sentence when it is not a model class)."""
        klass, found = resolve_class(ref)
        return cls(str(ref), dict(config or {}), found.get("entry_point"), found["class"],
                   found.get("distribution")), klass

    @classmethod
    def from_entry(cls, entry: dict) -> "InstalledClass":
        ref = entry.get("entry_point") if entry.get("kind") == "entry-point" else entry.get("class")
        return cls(str(ref), check_config_object(entry.get("config") or {}, "source.config"), entry.get("entry_point"),
                   entry.get("class"), entry.get("distribution"))

    def label(self) -> str:
        return self.entry_point or self.class_path or self.kind

    def entry(self) -> dict:
        out = {"kind": self.kind, **({"entry_point": self.entry_point} if self.entry_point else {}),
               "class": self.class_path}
        if self.distribution:
            out["distribution"] = self.distribution
        return {**out, "config": self.config}

    def build(self, klass: type[nn.Module] | None = None) -> nn.Module:
        """``Class(**config)``, without weights."""
        klass = klass or resolve_class(self.ref)[0]
        return build_module(klass, self.config, self.ref)

    def module(self, files: dict[str, Path], item_shape: tuple) -> nn.Module:
        module = self.build()
        load_weights(module, files["weights"])
        return module


@dataclass
class OnnxFiles(ForeignSource):
    """An encoder (and optionally a decoder) as ONNX files, run by onnxruntime; already ONNX, so not exported."""

    encoder_outputs: int = 1
    kind: ClassVar[str] = "onnx"
    exportable: ClassVar[bool] = False

    @classmethod
    def from_entry(cls, entry: dict) -> "OnnxFiles":
        return cls(int(entry.get("encoder_outputs") or 1))

    def label(self) -> str:
        return self.kind

    def entry(self) -> dict:
        return {"kind": self.kind, "encoder_outputs": int(self.encoder_outputs)}

    def module(self, files: dict[str, Path], item_shape: tuple) -> nn.Module:
        module = onnx_module(files["encoder"], files.get("decoder"), item_shape)
        self.encoder_outputs = int(module.n_encoder_outputs)
        return module


@dataclass
class SAELensFolder(ForeignSource):
    """A SAELens folder: ``cfg.json`` (the settings) and ``sae_weights.safetensors``."""

    folder: str
    config: dict
    kind: ClassVar[str] = "saelens"

    @classmethod
    def read(cls, folder: str | Path) -> tuple["SAELensFolder", dict[str, Path]]:
        """The source of the SAE in ``folder`` (its settings checked) and its one file."""
        return cls(Path(folder).name, read_saelens_config(folder)), {"weights": Path(folder) / WEIGHTS_FILE}

    @classmethod
    def from_entry(cls, entry: dict) -> "SAELensFolder":
        return cls(str(entry.get("folder") or ""), entry.get("config") or {})

    def label(self) -> str:
        return self.kind

    def entry(self) -> dict:
        return {"kind": self.kind, "folder": self.folder, "config": self.config}

    def module(self, files: dict[str, Path], item_shape: tuple) -> nn.Module:
        try:
            module = SAELensSAE(**self.config)
        except TypeError:
            raise LatentLabError("source.config: not a SAELens configuration LatentLab wrote; add the SAE again.") from None
        load_weights(module, files["weights"])
        return module


FOREIGN_SOURCES = {"class": InstalledClass, "entry-point": InstalledClass, "onnx": OnnxFiles,
                   "saelens": SAELensFolder}


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


def checked_files(path: Path, manifest: dict) -> dict[str, Path]:
    """The manifest's files beside it, each present and with the recorded sha256."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise LatentLabError(f"{path.name}: a foreign checkpoint's manifest lacks its 'files'; add the model again.")
    out = {}
    for role, entry in files.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not isinstance(entry.get("sha256"), str):
            raise LatentLabError(f"{path.name}: files.{role} must name a file and its sha256.")
        file = path.with_name(Path(entry["file"]).name)  # never a path that leaves the checkpoints folder
        if not file.is_file():
            raise LatentLabError(f"{path.name}: its file {file.name} is missing; copy it next to the manifest or add the "
                                 "model again.")
        if file_sha256(file) != entry["sha256"]:
            raise LatentLabError(f"{file.name}: its contents do not match the sha256 in {path.name} (the file was changed "
                                 "or swapped); restore the original or add the model again.")
        out[role] = file
    return out


def onnx_module(encoder: Path, decoder: Path | None, item_shape: tuple):
    """``OnnxModel`` over the files (onnxruntime runs them); a missing onnxruntime is one sentence."""
    try:
        from latentlab.models.onnx_model import OnnxModel
    except ImportError as exc:
        raise LatentLabError(f"ONNX models need onnxruntime ({exc.name or exc}); install it with "
                             "pip install 'latentlab[onnx]'.") from None
    return OnnxModel(encoder, decoder, item_shape=tuple(item_shape))
