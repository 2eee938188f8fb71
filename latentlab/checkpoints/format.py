"""Checkpoints: ``NAME.safetensors`` weights + ``NAME.json`` manifest.

The manifest names the model in the registry and carries its config, so a
checkpoint rebuilds itself. Weights are read with safetensors only: nothing a
user brings is unpickled. Every write goes to a temporary file in the same
folder, then ``os.replace``. Resumable runs also keep ``NAME.optim.safetensors``
with the optimizer state.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import atomic_path, file_sha256, shipped_checkpoints_dir, write_json_atomic
from latentlab.checkpoints.manifests import (FORMAT, FOREIGN, MAX_MANIFEST_BYTES, staged_paths,  # noqa: F401
                                             finish_interrupted_save, list_checkpoints, read_manifest,
                                             user_checkpoints_dir)

if TYPE_CHECKING:
    import torch

    from latentlab.checkpoints.source_protocol import ModelSource
    from latentlab.models import LatentModel

FORMAT_VERSION = 1
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


class Checkpoint:
    """A checkpoint as read: its manifest and fingerprint, and its model (eval mode, CPU).

    Read with ``read_checkpoint(ref, lazy=True)`` (the dashboard does), one of LatentLab's own models is built
    from its weights only when ``model`` is first used, so what needs only the manifest or the cached
    embedding (the first map) imports no torch; its weights file is checked against the manifest either way."""

    def __init__(self, name: str, path: Path, manifest: dict, fingerprint: str, model: LatentModel | None = None,
                 build: Callable[[], LatentModel] | None = None):
        if model is None and build is None:
            raise ValueError("a Checkpoint needs its model or a way to build it")
        self.name, self.path, self.manifest, self.fingerprint = name, path, manifest, fingerprint
        self._model, self._build = model, build
        self._lock = threading.Lock()

    @property
    def model(self) -> LatentModel:
        if self._model is None:
            with self._lock:  # one build, however many sessions ask at once
                if self._model is None:
                    self._model = self._build()
                    self._build = None
        return self._model

    @property
    def model_name(self) -> str:
        return self.manifest["model"]

    @property
    def dataset_name(self) -> str:
        return self.manifest["dataset"]["name"]

    @property
    def latent_dim(self) -> int:
        config = self.manifest.get("model_config") or {}
        return int(config["latent_dim"]) if "latent_dim" in config else int(self.model.config.latent_dim)

    @property
    def input_shape(self) -> tuple:
        config = self.manifest.get("model_config") or {}
        shape = config.get("input_shape")
        return tuple(shape) if shape is not None else tuple(self.model.config.input_shape)

    def __repr__(self) -> str:
        return f"Checkpoint({self.name!r}, {self.model_name}, {self.fingerprint})"

    def __getstate__(self) -> dict:  # a copy (or a pickle, to another process) carries the built model
        return {"name": self.name, "path": self.path, "manifest": self.manifest, "fingerprint": self.fingerprint,
                "model": self.model}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)


def checkpoint_path(name: str) -> Path:
    """Where a new checkpoint called ``name`` goes (manifest path)."""
    if not NAME_RE.match(name):
        raise LatentLabError(f"Checkpoint name '{name}' is not allowed; use letters, digits, '.', '_' or '-'.")
    return user_checkpoints_dir() / f"{name}.json"


def save_checkpoint(
    model: LatentModel,
    model_name: str,
    manifest_path: str | Path,
    dataset: dict,
    training: dict,
    step: int,
    terms: dict,
    optimizer: torch.optim.Optimizer | None = None,
    history: list[dict] | None = None,
) -> Path:
    """Write weights (and optimizer state) and the manifest (with the loss history) so that a reader, or a
    crash at any moment, finds a pair that belongs together: both are staged in full first, then the weights
    and the manifest are moved into place (see ``finish_interrupted_save``)."""
    from safetensors.torch import save_file

    from latentlab.checkpoints.sources import source_of

    manifest_path = Path(manifest_path)
    weights = manifest_path.with_suffix(".safetensors")
    staged, staged_weights = staged_paths(manifest_path)
    source = source_of(model, model_name)
    state = {k: v.detach().to("cpu").contiguous() for k, v in source.state_dict(model).items()}
    with atomic_path(staged_weights) as tmp:
        save_file(state, str(tmp), metadata={"format": FORMAT, "step": str(step)})
    files = {"weights": {"file": weights.name, "sha256": file_sha256(staged_weights)}}
    manifest = checkpoint_manifest(manifest_path.stem, source, model, dataset, files, training, step, terms, history)
    if optimizer is not None:
        optim_path = manifest_path.with_suffix(".optim.safetensors")
        with atomic_path(optim_path) as tmp:
            save_file(_optimizer_tensors(optimizer), str(tmp), metadata={"step": str(step)})
        manifest["optimizer"] = optim_path.name
    write_json_atomic(staged, manifest)
    os.replace(staged_weights, weights)
    with contextlib.suppress(FileNotFoundError):  # a reader may have finished the move already
        os.replace(staged, manifest_path)
    return manifest_path


def checkpoint_manifest(name: str, source: ModelSource, model: LatentModel, dataset: dict, files: dict,
                        training: dict | None = None, step: int = 0, terms: dict | None = None,
                        history: list[dict] | None = None) -> dict:
    """A checkpoint's manifest, whichever way its model arrived: ``files`` maps each role (``weights``, or
    ``encoder`` and ``decoder``) to its file name and sha256; the source says what the model is."""
    main = files.get("weights") or files["encoder"]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        **source.manifest_entry(model, files),
        "model_config": model.config.to_dict(),
        "dataset": dataset,
        "training": dict(training or {}),
        "step": int(step),
        "final_terms": {k: float(v) for k, v in (terms or {}).items()},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "latentlab_version": _version(),
        "weights": main["file"],
        "weights_sha256": main["sha256"],
        "history": list(history or []),
    }


def _version() -> str:
    from latentlab.core.version import __version__

    return __version__


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    import torch

    out = {}
    for idx, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            t = value if torch.is_tensor(value) else torch.tensor(float(value))
            out[f"{idx}.{key}"] = t.detach().to("cpu").contiguous()
    return out


def load_optimizer_state(manifest: dict, folder: Path, optimizer: torch.optim.Optimizer) -> bool:
    """Restore optimizer state saved next to a checkpoint; False if there is none."""
    from safetensors.torch import load_file

    name = manifest.get("optimizer")
    if not name or not (folder / name).exists():
        return False
    tensors = load_file(str(folder / name))
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        idx, field = key.split(".", 1)
        state.setdefault(int(idx), {})[field] = value
    sd = optimizer.state_dict()
    sd["state"] = state
    optimizer.load_state_dict(sd)
    return True


def resolve_checkpoint(ref: str | Path) -> Path:
    """Find a checkpoint's manifest from a path or a name (user first, then shipped)."""
    ref_str = str(ref)
    p = Path(ref_str).expanduser()
    candidates = []
    if p.suffix in (".json", ".safetensors") or p.parent != Path("."):
        base = p.with_suffix("") if p.suffix in (".json", ".safetensors") else p
        candidates.append(base.with_suffix(".json"))
    else:
        candidates += [user_checkpoints_dir() / f"{ref_str}.json", shipped_checkpoints_dir() / f"{ref_str}.json"]
    for c in candidates:
        if c.exists():
            return c
    if p.suffix in (".pt", ".pth", ".ckpt", ".pkl", ".bin"):
        raise LatentLabError(
            f"{p.name}: pickle-based checkpoints are refused because loading them can run code; "
            "save the weights with safetensors and a LatentLab manifest."
        )
    raise LatentLabError(f"Checkpoint '{ref_str}' not found; run 'latentlab checkpoints' to list the available ones.")


def read_checkpoint(ref: str | Path, lazy: bool = False) -> Checkpoint:
    """Load a checkpoint by name or path, validating weights against the manifest. ``lazy``: one of LatentLab's
    own models is built on first use of ``Checkpoint.model`` (its weights file checked now, its config and
    tensors then); a model brought from outside is built now either way."""
    from latentlab.checkpoints.source_protocol import WeightsMismatch

    path = resolve_checkpoint(ref)
    attempts = 3
    while True:
        finish_interrupted_save(path)
        manifest = read_manifest(path)
        weights = path.with_name(Path(manifest["weights"]).name)
        try:
            if lazy and manifest["model"] != FOREIGN:
                return _lazy(path, manifest, weights)
            return _load(path, manifest, weights)
        except WeightsMismatch:
            attempts -= 1
            if not attempts:
                raise
            time.sleep(0.1)  # a save may be moving its new pair into place right now


def _load(path: Path, manifest: dict, weights: Path | None = None) -> Checkpoint:
    from latentlab.checkpoints.sources import source_of_manifest

    model, fingerprint = source_of_manifest(path, manifest).load(path, manifest, weights)
    return Checkpoint(name=path.stem, path=path, model=model, manifest=manifest, fingerprint=fingerprint[:20])


def _lazy(path: Path, manifest: dict, weights: Path) -> Checkpoint:
    from latentlab.checkpoints.source_protocol import checked_weights

    digest_ = checked_weights(path, manifest, weights)

    def build() -> LatentModel:
        from latentlab.checkpoints.sources import source_of_manifest

        model, now = source_of_manifest(path, manifest).load(path, manifest, weights)
        if now != digest_:
            raise LatentLabError(f"{weights.name} changed after checkpoint '{path.stem}' was read; open it again.")
        return model

    return Checkpoint(name=path.stem, path=path, manifest=manifest, fingerprint=digest_[:20], build=build)


def import_checkpoint(manifest_file: str | Path, weights_file: str | Path | None = None, name: str | None = None) -> Checkpoint:
    """Validate a checkpoint a user brings and copy it into the workspace under ``name``.

    The pair is loaded from where it lies first (safetensors only, weights
    checked against the manifest), then written weights-first, manifest-last,
    each atomically; an existing name is never replaced.
    """
    import shutil

    manifest_file = Path(manifest_file)
    if manifest_file.suffix.lower() in (".pt", ".pth", ".ckpt", ".pkl", ".bin"):
        raise LatentLabError(f"{manifest_file.name}: pickle-based checkpoints are refused because loading them can run code; "
                             "bring a .safetensors file with its LatentLab .json manifest.")
    if manifest_file.suffix.lower() != ".json":
        raise LatentLabError(f"{manifest_file.name}: expected the checkpoint's .json manifest (with its .safetensors weights).")
    manifest = read_manifest(manifest_file)
    if manifest["model"] == FOREIGN:
        raise LatentLabError(f"{manifest_file.name}: a model trained elsewhere is added with 'latentlab checkpoints add' "
                             "from its own files (class and weights, ONNX files or a SAELens folder).")
    weights = Path(weights_file) if weights_file else manifest_file.with_name(Path(manifest["weights"]).name)
    checked = _load(manifest_file, manifest, weights)
    name = name or manifest_file.stem
    target = checkpoint_path(name)
    if target.exists() or target.with_suffix(".safetensors").exists():
        raise LatentLabError(f"A checkpoint named '{name}' already exists; choose another name.")
    with atomic_path(target.with_suffix(".safetensors")) as tmp:
        shutil.copyfile(weights, tmp)
    manifest = {**manifest, "name": name, "weights": f"{name}.safetensors", "imported_from": manifest_file.name}
    manifest.pop("optimizer", None)
    write_json_atomic(target, manifest)
    checked.name, checked.path, checked.manifest = name, target, manifest
    return checked


def unique_name(stem: str) -> str:
    """``stem`` if free in the user folder, else ``stem-2``, ``stem-3``, ..."""
    folder = user_checkpoints_dir()
    name, i = stem, 1
    while (folder / f"{name}.json").exists() or (folder / f"{name}.safetensors").exists():
        i += 1
        name = f"{stem}-{i}"
    return name
