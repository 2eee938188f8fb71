"""A run's training snapshots on disk, beside its checkpoint.

``NAME.json`` (the manifest) has a folder ``NAME.snapshots/`` beside it: ``index.json`` (the probe set's item
indices, the schedule, and one entry per snapshot with its step and cheap diagnostics) and one
``step-XXXXXXXX.safetensors`` per snapshot holding the probe's codes (P, D) as float16. A snapshot's codes are
written first and the index last, each through a temporary file and a rename, so a reader (or a crash) sees only
snapshots whose codes are complete. Everything is read with safetensors and JSON: nothing is unpickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentlab.core.workspace import atomic_path, write_json_atomic

INDEX = "index.json"
FORMAT = "latentlab-snapshots"


def snapshots_dir(manifest_path: str | Path) -> Path:
    """The folder of the snapshots of the run whose manifest is ``manifest_path``."""
    manifest_path = Path(manifest_path)
    return manifest_path.with_name(f"{manifest_path.stem}.snapshots")


def _codes_file(folder: Path, step: int) -> Path:
    return folder / f"step-{int(step):08d}.safetensors"


@dataclass
class SnapshotRecord:
    """The snapshots of one run: the probe set and, per snapshot, its step, diagnostics and codes.

    ``entries`` is one dict per snapshot in step order: ``step``, ``kl_per_dim`` (D,) or None, ``active_units``,
    ``recon_error`` and, where measured, ``metrics`` (name -> score).
    """

    folder: Path
    probe: np.ndarray  # (P,) item indices into the run's dataset, the same for every snapshot
    dataset: dict
    every: int
    entries: list[dict] = field(default_factory=list)

    @property
    def steps(self) -> list[int]:
        return [int(e["step"]) for e in self.entries]

    def codes(self, step: int) -> np.ndarray:
        """The probe's codes (P, D) at ``step``, as float32."""
        from safetensors.numpy import load_file

        return load_file(str(_codes_file(self.folder, step)))["codes"].astype(np.float32)

    def all_codes(self) -> list[np.ndarray]:
        return [self.codes(s) for s in self.steps]

    def index(self) -> dict:
        return {"format": FORMAT, "probe": [int(i) for i in self.probe], "dataset": self.dataset,
                "every": int(self.every), "entries": self.entries}

    def append(self, step: int, codes: np.ndarray, entry: dict) -> None:
        """Add (or replace) the snapshot at ``step``: its codes first, then the index that lists it."""
        from safetensors.numpy import save_file

        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(_codes_file(self.folder, step)) as tmp:
            save_file({"codes": np.ascontiguousarray(codes, dtype=np.float16)}, str(tmp))
        self.entries = [e for e in self.entries if int(e["step"]) != int(step)] + [{**entry, "step": int(step)}]
        self.entries.sort(key=lambda e: int(e["step"]))
        write_json_atomic(self.folder / INDEX, self.index())

    def keep_until(self, step: int) -> None:
        """Forget snapshots taken after ``step`` (a resumed run takes them again from its checkpoint's step)."""
        later = [e for e in self.entries if int(e["step"]) > int(step)]
        if later:
            self.entries = [e for e in self.entries if int(e["step"]) <= int(step)]
            write_json_atomic(self.folder / INDEX, self.index())
            for e in later:
                _codes_file(self.folder, int(e["step"])).unlink(missing_ok=True)


def read_snapshots(manifest_path: str | Path) -> SnapshotRecord | None:
    """The snapshots recorded beside ``manifest_path``, or None when the run has none (or none readable)."""
    folder = snapshots_dir(manifest_path)
    try:
        index = json.loads((folder / INDEX).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        return None
    entries = [e for e in index.get("entries", []) if _codes_file(folder, int(e["step"])).exists()]
    return SnapshotRecord(folder, np.asarray(index["probe"], np.int64), dict(index.get("dataset") or {}),
                          int(index.get("every", 0)), entries)


def new_record(manifest_path: str | Path, probe: np.ndarray, dataset: dict, every: int) -> SnapshotRecord:
    """An empty record for a new run (any snapshots a former run of the same name left are removed)."""
    folder = snapshots_dir(manifest_path)
    if folder.is_dir():
        for old in folder.glob("step-*.safetensors"):
            old.unlink(missing_ok=True)
        (folder / INDEX).unlink(missing_ok=True)
    return SnapshotRecord(folder, np.asarray(probe, np.int64), dataset, int(every))
