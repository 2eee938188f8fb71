"""The demo's first view, shipped made: a shipped checkpoint's embedding of its training set and that embedding's
default map (UMAP, 2-D, seed 0), in ``checkpoints/NAME.view.npz`` beside the checkpoint.

A fresh workspace would otherwise encode the demo and compute its UMAP before the dashboard's first map (a
second of torch's import, then numba's compilation and the layout, while the browser is still loading).
``seed()`` copies each shipped view into the workspace's disk cache under the keys ``embed`` and ``project``
would compute, and only where the view still belongs to what it was made from: the weights file's sha256,
the dataset's fingerprint, and, for the map, the projector's parameters as they are now. A checkpoint or a
projector changed since leaves its view unused (the view is then made as usual). It needs neither torch nor the
projection libraries, and takes milliseconds.

``python -m latentlab.analysis.shipped_views NAME ...`` writes the views again (from a fresh encoding and
projection); ``tests/test_shipped_views.py`` checks that the shipped one equals what they give.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from latentlab.core.array_cache import cache_file, is_cached
from latentlab.core.workspace import atomic_path, file_sha256, shipped_checkpoints_dir

SUFFIX = ".view.npz"
METHOD, DIMS, SEED = "umap", 2, 0  # the map the dashboard opens with
EMBEDDING = ("mean", "logvar", "kl", "recon_error", "assign")
_log = logging.getLogger(__name__)


def view_path(name: str) -> Path:
    return shipped_checkpoints_dir() / f"{name}{SUFFIX}"


def write_view(name: str) -> Path:
    """Encode a shipped checkpoint's training set and project it as the dashboard's first map, into
    ``view_path(name)`` (computed here, never read from a cache)."""
    from latentlab.analysis.embedding import encode_dataset
    from latentlab.analysis.projection.embedding_maps import space_projection
    from latentlab.checkpoints.format import read_checkpoint
    from latentlab.checkpoints.resolve import dataset_for

    ck = read_checkpoint(shipped_checkpoints_dir() / f"{name}.json")
    ds = dataset_for(ck)
    arrays = encode_dataset(ck.model, ds)
    projector, _ = space_projection("", METHOD, DIMS, SEED, {})
    xy = projector.fit_transform(arrays["mean"]).astype(np.float32)
    weights = ck.path.with_name(Path(ck.manifest["weights"]).name)
    meta = {"checkpoint": name, "weights_sha256": file_sha256(weights), "dataset": ds.name,
            "dataset_fingerprint": ds.fingerprint, "method": METHOD, "dims": DIMS, "seed": SEED,
            "projector": projector.get_params()}
    path = view_path(name)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, meta=np.array(json.dumps(meta, sort_keys=True)), xy=xy,
                                **{k: v for k, v in arrays.items() if v is not None})
    return path


def read_view(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """A view's record (what it was made from) and its arrays."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return meta, {k: z[k] for k in z.files if k != "meta"}


def seed() -> list[str]:
    """Copy every shipped view that still belongs to its checkpoint into this workspace's cache (those already
    there are left as they are); returns the cache entries written. Best effort: a view that cannot be read is
    logged and skipped."""
    written = []
    folder = shipped_checkpoints_dir()
    for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        try:
            written += _seed_one(path)
        except Exception:  # the dashboard then makes the view as usual
            _log.exception("the shipped view %s could not be used", path.name)
    return written


def _seed_one(path: Path) -> list[str]:
    from latentlab.analysis.embedding import space_key
    from latentlab.checkpoints.manifests import read_manifest
    from latentlab.data import load_dataset

    meta, arrays = read_view(path)
    manifest_path = path.with_name(f"{meta['checkpoint']}.json")
    weights = manifest_path.with_name(Path(read_manifest(manifest_path)["weights"]).name)
    sha = file_sha256(weights)
    if sha != meta["weights_sha256"] or load_dataset(meta["dataset"]).fingerprint != meta["dataset_fingerprint"]:
        return []
    space = space_key(sha[:20], meta["dataset_fingerprint"])  # a loaded checkpoint's fingerprint is its sha's head
    entries = [("embed", space, {k: arrays[k] for k in EMBEDDING if k in arrays})]
    from latentlab.analysis.projection.embedding_maps import space_projection

    projector, key = space_projection(space, meta["method"], meta["dims"], meta["seed"], {})
    if json.loads(json.dumps(projector.get_params(), default=str)) == meta["projector"]:
        entries.append(("project", key, {"xy": arrays["xy"]}))
    written = []
    for kind, key, contents in entries:
        if is_cached(kind, key):
            continue
        target = cache_file(kind, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **contents)
        written.append(f"{kind}/{key}")
    return written


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Write the first views of shipped checkpoints.")
    parser.add_argument("names", nargs="+", help="shipped checkpoints, e.g. digits-vae")
    for name in parser.parse_args(argv).names:
        print(write_view(name))


if __name__ == "__main__":
    main()
