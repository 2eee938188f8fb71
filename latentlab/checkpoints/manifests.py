"""Checkpoint manifests read without torch: the listing of shipped and user checkpoints, a manifest's checks, and
the repair of a save interrupted between its two moves. ``latentlab checkpoints`` and the dashboard's checkpoint
list read only these, so listing starts in a fraction of a second; ``checkpoints.format`` loads and saves the
weights and re-exports these names.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import file_sha256, remove_stale_temporaries, shipped_checkpoints_dir, subdir

FORMAT = "latentlab-checkpoint"
FOREIGN = "foreign"  # a manifest's "model" for a model brought from outside (``latentlab.models.foreign.KIND``)


def user_checkpoints_dir() -> Path:
    return subdir("checkpoints")


def staged_paths(manifest_path: Path) -> tuple[Path, Path]:
    """Where a save stages its new manifest and weights before moving them into place."""
    return (manifest_path.with_name(f".staged-{manifest_path.name}"),
            manifest_path.with_name(f".staged-{manifest_path.stem}.safetensors"))


def finish_interrupted_save(manifest_path: Path) -> None:
    """A save stopped between moving its weights and its manifest into place left the new manifest staged:
    move it in too, so the pair on disk belongs together. The weights' digest tells whose they are; while
    the staged weights still exist the old pair is whole and is left alone."""
    staged, staged_weights = staged_paths(manifest_path)
    if not staged.exists() or staged_weights.exists():
        return
    weights = manifest_path.with_suffix(".safetensors")
    with contextlib.suppress(OSError, ValueError):
        if weights.exists() and json.loads(staged.read_text()).get("weights_sha256") == file_sha256(weights):
            os.replace(staged, manifest_path)


MAX_MANIFEST_BYTES = 8 * 1024**2


def read_manifest(path: Path) -> dict:
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise LatentLabError(f"{path.name}: the manifest is larger than {MAX_MANIFEST_BYTES // 1024**2} MB; it is not a LatentLab manifest.")
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        raise LatentLabError(f"{path.name}: the checkpoint manifest is not valid JSON; re-save the checkpoint.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LatentLabError(f"{path.name}: not a LatentLab checkpoint manifest (no 'format': '{FORMAT}').")
    for key in ("model", "model_config", "weights", "dataset"):
        if key not in manifest:
            raise LatentLabError(f"{path.name}: the checkpoint manifest lacks '{key}'; re-save the checkpoint.")
    if not isinstance(manifest["model"], str) or not isinstance(manifest["weights"], str) or not isinstance(manifest["dataset"], dict):
        raise LatentLabError(f"{path.name}: 'model' and 'weights' must be names and 'dataset' an object.")
    return manifest


def list_checkpoints() -> list[dict]:
    """Shipped and user checkpoints, one summary dict each."""
    rows = []
    for source, folder in (("shipped", shipped_checkpoints_dir()), ("user", user_checkpoints_dir())):
        if not folder.is_dir():
            continue
        if source == "user":
            remove_stale_temporaries(folder)
        for manifest_path in sorted(folder.glob("*.json")):
            if manifest_path.name.startswith("."):  # a save's staged manifest, not a checkpoint
                continue
            if source == "user":
                finish_interrupted_save(manifest_path)
            try:
                m = read_manifest(manifest_path)
            except LatentLabError:
                continue
            if not manifest_path.with_name(m["weights"]).exists():
                continue
            rows.append({
                "name": manifest_path.stem,
                "source": source,
                "model": m["model"],
                "dataset": m["dataset"].get("name"),
                "latent_dim": m["model_config"].get("latent_dim"),
                "item_shape": list(m["model_config"].get("input_shape", [])),
                "beta": m["model_config"].get("beta"),
                "step": m.get("step"),
                "loss": m.get("final_terms", {}).get("loss"),
                "created": m.get("created"),
                "path": str(manifest_path),
            })
    return rows
