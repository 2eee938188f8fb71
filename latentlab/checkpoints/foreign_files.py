"""A foreign checkpoint on disk: how its module is rebuilt from the manifest, and its files checked.

A foreign model's manifest has ``"model": "foreign"`` and, beside the usual keys (``model_config``, ``dataset``,
``weights``, ``created``, ...)::

    "source": {"kind": "class" | "entry-point" | "onnx" | "saelens",
               "class": "pkg.mod:Class", "entry_point": NAME, "config": {constructor kwargs},
               "distribution": "pkg 1.2", "encoder_outputs": 1 | 2},
    "preprocessing": {"scale": 1.0, "mean": [...], "std": [...], "input_shape": [...]},
    "gaussian": true | false, "has_decoder": true | false,
    "files": {"weights" | "encoder" | "decoder": {"file": "NAME....", "sha256": "..."}}

Every file of ``files`` is hashed on load and must match; the class itself is imported again from the user's
environment (it is code, not a file LatentLab keeps).
"""

from __future__ import annotations

from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import digest, file_sha256
from latentlab.models.foreign import ForeignConfig, ForeignModel, Preprocessing
from latentlab.models.foreign_sources import build_module, check_config_object, load_weights, resolve_class
from latentlab.models.saelens import SAELensSAE
from latentlab.models.validation import check_config

SOURCE_KINDS = ("class", "entry-point", "onnx", "saelens")


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


def build_source(source: dict, files: dict[str, Path], item_shape: tuple):
    """The user's module, rebuilt as the manifest's ``source`` says, with its weights loaded."""
    kind = source.get("kind")
    if kind in ("class", "entry-point"):
        ref = source.get("entry_point") if kind == "entry-point" else source.get("class")
        cls, _ = resolve_class(str(ref))
        module = build_module(cls, check_config_object(source.get("config") or {}, "source.config"), str(ref))
        load_weights(module, files["weights"])
        return module
    if kind == "saelens":
        cfg = source.get("config") or {}
        try:
            module = SAELensSAE(**cfg)
        except TypeError:
            raise LatentLabError("source.config: not a SAELens configuration LatentLab wrote; add the SAE again.") from None
        load_weights(module, files["weights"])
        return module
    if kind == "onnx":
        return onnx_module(files["encoder"], files.get("decoder"), item_shape)
    raise LatentLabError(f"source.kind must be one of {', '.join(SOURCE_KINDS)}, not {kind!r}.")


def onnx_module(encoder: Path, decoder: Path | None, item_shape: tuple):
    """``OnnxModel`` over the files (onnxruntime runs them); a missing onnxruntime is one sentence."""
    try:
        from latentlab.models.onnx_model import OnnxModel
    except ImportError as exc:
        raise LatentLabError(f"ONNX models need onnxruntime ({exc.name or exc}); install it with "
                             "pip install 'latentlab[onnx]'.") from None
    return OnnxModel(encoder, decoder, item_shape=tuple(item_shape))


def load_foreign_model(path: Path, manifest: dict) -> tuple[ForeignModel, str]:
    """The foreign model a manifest describes (eval mode, CPU) and its fingerprint (files, source, preprocessing)."""
    source = manifest.get("source")
    if not isinstance(source, dict):
        raise LatentLabError(f"{path.name}: a foreign checkpoint's manifest lacks its 'source'; add the model again.")
    config = check_config(ForeignConfig, manifest["model_config"], path.name)
    files = checked_files(path, manifest)
    prep = Preprocessing.from_dict(manifest.get("preprocessing"), tuple(config.input_shape), f"{path.name}: preprocessing")
    try:
        module = build_source(source, files, tuple(prep.input_shape or config.input_shape))
    except LatentLabError as exc:
        raise LatentLabError(f"{path.name}: {exc}") from None
    model = ForeignModel(module, config, bool(manifest.get("gaussian")), prep, source)
    model.eval()
    fingerprint = digest("foreign", {k: v["sha256"] for k, v in manifest["files"].items()},
                         {k: v for k, v in source.items()}, prep.to_dict(), config.to_dict())
    return model, fingerprint


def foreign_manifest(model: ForeignModel, weights_name: str, weights_sha256: str) -> dict:
    """The keys a foreign checkpoint's manifest has beside the usual ones, for a model LatentLab trained (a class an
    installed package registers, see ``foreign_train``), whose weights are the one file."""
    return {
        "source": dict(model.source), "preprocessing": model.preprocessing.to_dict(),
        "gaussian": bool(model.stochastic), "has_decoder": bool(model.has_decoder), "can_train": bool(model.can_train),
        "files": {"weights": {"file": weights_name, "sha256": weights_sha256}},
    }
