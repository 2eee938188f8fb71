"""Models brought from outside, as sources (the protocol is ``checkpoints/source_protocol.py``): an installed
class by path or entry point (``InstalledClass``), ONNX files (``OnnxFiles``) and a SAELens folder
(``SAELensFolder``), each a ``ForeignSource`` whose module is built from files hashed on load
(``checked_files``). A new way for models to arrive is one new class here, listed in ``FOREIGN_SOURCES``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import digest, file_sha256
from latentlab.models import LatentModel
from latentlab.models.foreign import KIND as FOREIGN
from latentlab.models.foreign import ForeignConfig, ForeignModel, Preprocessing
from latentlab.models.foreign_sources import build_module, check_config_object, load_weights, resolve_class
from latentlab.models.saelens import WEIGHTS_FILE, SAELensSAE, read_saelens_config
from latentlab.models.validation import check_config
from latentlab.checkpoints.source_protocol import Capabilities, ModelSource


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
