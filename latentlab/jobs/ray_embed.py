"""Encoding a dataset on a Ray cluster: the rows cut into shards, the shards encoded by Ray Data's ``map_batches``
over an actor pool (each actor loads the checkpoint and opens the dataset once), each shard written into the
workspace, and the shards assembled into the same cached embedding ``lab.embed`` makes on one machine.

The values are identical to the local path's: a shard is a whole number of the local path's chunks
(``CHUNK_ITEMS``) and starts on a chunk boundary, so every batch the model sees holds the same items, and each
item's arithmetic is the same. The result goes under the same cache key (checkpoint fingerprint x dataset
fingerprint), so the pages find it. Shards already written are kept: a cancelled or failed job submitted again
encodes only the rest.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from latentlab.analysis.embedding import CHUNK_ITEMS, STAGE, embedding_key, encode_dataset
from latentlab.core.array_cache import cached_arrays, is_cached
from latentlab.core.errors import JobCancelled, LatentLabError
from latentlab.core.progress import ProgressFn, report
from latentlab.core.workspace import atomic_path, home, subdir

SHARD_ITEMS = 16 * CHUNK_ITEMS  # 16,384 items: seconds of work a shard, few enough files for millions of items


def plan_shards(n: int, shard_items: int = SHARD_ITEMS) -> list[tuple[int, int]]:
    """(start, stop) row ranges covering ``n`` rows; every shard but the last holds a multiple of CHUNK_ITEMS."""
    size = max(CHUNK_ITEMS, shard_items // CHUNK_ITEMS * CHUNK_ITEMS)
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def shard_folder(key: str) -> Path:
    return subdir("cache") / "embed-shards" / key


def shard_path(folder: Path, start: int, stop: int) -> Path:
    return folder / f"{start:012d}-{stop:012d}.npz"


class ShardEncoder:
    """Ray Data's callable class: encodes the shards of a batch ``{"start": (B,), "stop": (B,)}`` and writes each
    into the shard folder. The checkpoint and the dataset are opened once per actor."""

    def __init__(self, home: str, checkpoint: str, dataset: str | None, fingerprint: str, folder: str,
                 device: str = "auto"):
        os.environ["LATENTLAB_HOME"] = home
        from latentlab import lab

        self.ck = lab.load_checkpoint(checkpoint)
        if self.ck.fingerprint != fingerprint:
            raise LatentLabError(f"Checkpoint '{checkpoint}' changed while it was being encoded; submit the job again.")
        self.ds = lab.dataset_for(self.ck, dataset)
        self.folder, self.device = Path(folder), device

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for start, stop in zip(batch["start"].tolist(), batch["stop"].tolist()):
            arrays = encode_dataset(self.ck.model, self.ds, device=self.device, index=np.arange(start, stop))
            with atomic_path(shard_path(self.folder, start, stop)) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, **{k: v for k, v in arrays.items() if v is not None})
        return {"start": batch["start"], "stop": batch["stop"]}


def assemble(folder: Path, shards: list[tuple[int, int]], n: int) -> dict[str, np.ndarray]:
    """The shards' arrays put together in row order: a dict like ``encode_dataset``'s."""
    out: dict[str, np.ndarray] = {}
    for start, stop in shards:
        with np.load(shard_path(folder, start, stop), allow_pickle=False) as z:
            for name in z.files:
                part = z[name]
                if name not in out:
                    out[name] = np.empty((n, *part.shape[1:]), part.dtype)
                out[name][start:stop] = part
    return {k: out.get(k) for k in ("mean", "logvar", "kl", "recon_error", "assign")}


def encode_on_ray(checkpoint: str, dataset: str | None, cpus: float = 1.0, gpus: float = 0.0,
                  workers: int | None = None, progress: ProgressFn | None = None, cancelled=lambda: False,
                  shard_items: int = SHARD_ITEMS) -> str:
    """Encode ``dataset`` (default: the checkpoint's training set) with ``checkpoint`` on the connected Ray cluster
    into the embedding cache; returns the cache key. ``workers`` caps the actor pool (default: as many as the
    cluster's CPUs and GPUs allow); ``cancelled()`` is asked after each shard."""
    import ray

    from latentlab import lab

    progress = report(progress)
    ck = lab.load_checkpoint(checkpoint)
    ds = lab.dataset_for(ck, dataset)
    key = embedding_key(ck.fingerprint, ds)
    if is_cached("embed", key):
        return key
    n, folder = len(ds), shard_folder(key)
    folder.mkdir(parents=True, exist_ok=True)
    shards = plan_shards(n, shard_items)
    todo = [s for s in shards if not shard_path(folder, *s).exists()]
    done = n - sum(stop - start for start, stop in todo)
    progress(STAGE, done, n, "items")
    if todo:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        fit = ray.cluster_resources()
        most = int(fit.get("CPU", 1) // cpus) if not gpus else int(fit.get("GPU", 0) // gpus)
        size = max(1, min(len(todo), workers or most or 1))
        items = [{"start": start, "stop": stop} for start, stop in todo]
        pool = ray.data.ActorPoolStrategy(min_size=1, max_size=size)
        encoded = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            ShardEncoder, batch_size=1, batch_format="numpy", compute=pool, num_cpus=cpus, num_gpus=gpus,
            fn_constructor_kwargs={"home": str(home()), "checkpoint": str(checkpoint), "dataset": dataset,
                                   "fingerprint": ck.fingerprint, "folder": str(folder)})
        for row in encoded.iter_rows():
            done += int(row["stop"]) - int(row["start"])
            progress(STAGE, done, n, "items")
            if cancelled():
                raise JobCancelled()
    cached_arrays("embed", key, lambda: assemble(folder, shards, n))
    shutil.rmtree(folder, ignore_errors=True)
    return key
