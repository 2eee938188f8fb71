"""How a run's latent space formed: its training snapshots (``training/snapshots.py``) as a sequence of aligned
maps of the probe set (``projection/aligned.py``), with the diagnostics each snapshot recorded (KL per latent,
active units, reconstruction error, MIG/DCI where measured). ``lab.dynamics`` is this module's ``dynamics``.

The maps are cached on disk under the snapshots' contents and the alignment's settings, so a second look (a page
reload, the command line after the dashboard) costs nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentlab.analysis.projection.aligned import METHODS, aligned_maps
from latentlab.checkpoints.format import Checkpoint, resolve_checkpoint
from latentlab.checkpoints.manifests import read_manifest
from latentlab.checkpoints.snapshots import SnapshotRecord, read_snapshots
from latentlab.core.errors import LatentLabError
from latentlab.core.workspace import atomic_path, digest, subdir
from latentlab.models.foreign import KIND as FOREIGN

CACHE = "dynamics"


@dataclass
class Dynamics:
    """A run's formation: one aligned map (P, 2) of the probe's P items per snapshot, in step order.

    ``entries`` holds each snapshot's diagnostics (``kl_per_dim``, ``active_units``, ``recon_error``, ``metrics``);
    ``probe`` the item indices (P,) into the run's dataset, the same for every frame; ``colours`` the probe's
    labels, factors and final-step clusters by name (what a map can be coloured by).
    """

    run: str
    dataset: str
    method: str
    probe: np.ndarray
    steps: list[int]
    maps: list[np.ndarray]
    entries: list[dict]
    colours: dict[str, np.ndarray] = field(default_factory=dict)

    def frames(self) -> list[dict]:
        """One dict per snapshot: ``step``, ``xy`` (the probe items in a fixed order) and its diagnostics."""
        out = []
        for entry, xy in zip(self.entries, self.maps):
            frame = {"step": int(entry["step"]), "xy": np.round(xy.astype(np.float64), 4).tolist()}
            frame.update({k: v for k, v in entry.items() if k != "step"})
            out.append(frame)
        return out

    def to_json(self) -> dict:
        return {"run": self.run, "dataset": self.dataset, "method": self.method,
                "probe": [int(i) for i in self.probe], "frames": self.frames()}

    def series(self, key: str) -> np.ndarray:
        """One diagnostic over the steps: ``"kl_per_dim"`` as (S, D) (NaN where not recorded), a scalar such as
        ``"active_units"`` or a metric's name as (S,) (NaN where not measured)."""
        if key == "kl_per_dim":
            rows = [e.get("kl_per_dim") for e in self.entries]
            D = max((len(r) for r in rows if r), default=0)
            return np.array([r if r else [np.nan] * D for r in rows], np.float64).reshape(len(rows), D)
        return np.array([_number(e.get(key, (e.get("metrics") or {}).get(key))) for e in self.entries], np.float64)

    def metric_names(self) -> list[str]:
        names: list[str] = []
        for e in self.entries:
            names += [k for k in (e.get("metrics") or {}) if k not in names]
        return names


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def snapshot_record(run) -> tuple[str, Path, SnapshotRecord]:
    """The run's name, manifest and snapshots; one sentence when it has none."""
    path = run.path if isinstance(run, Checkpoint) else resolve_checkpoint(run)
    record = read_snapshots(path)
    if record is None or not record.entries:
        if read_manifest(path).get("model") == FOREIGN and record is None:
            raise LatentLabError(f"Checkpoint '{path.stem}' was brought from outside and has no training snapshots; "
                                 "choose a run trained here.", param="run", value=path.stem)
        raise LatentLabError(f"Run '{path.stem}' was recorded without snapshots; train it again with snapshots on "
                             "(the default) to watch its latent space form.", param="run", value=path.stem)
    return path.stem, path, record


def runs_with_snapshots() -> list[str]:
    """The names of the workspace's runs that recorded training snapshots, newest first."""
    from latentlab.checkpoints.manifests import list_checkpoints

    rows = [r for r in list_checkpoints() if r["source"] == "user"]
    found = [(resolve_checkpoint(r["name"]), r["name"]) for r in rows]
    found = [(p, n) for p, n in found if (p.with_name(f"{p.stem}.snapshots") / "index.json").exists()]
    return [n for p, n in sorted(found, key=lambda pn: -pn[0].stat().st_mtime)]


def dynamics(run, method: str = "procrustes", seed: int = 0, colours: bool = True) -> Dynamics:
    """The formation of run ``run`` (a checkpoint's name, path or ``Checkpoint``) as aligned maps over its steps.

    Parameters
    ----------
    method : "procrustes" (each map started from the one before, then aligned onto it), "aligned-umap"
        (umap-learn's AlignedUMAP) or "independent" (one UMAP per snapshot, aligned afterwards)
    colours : also read the run's dataset for the probe's labels and factors, and cluster the last snapshot

    Examples
    --------
    >>> dyn = ll.dynamics("digits-vae")                                       # doctest: +SKIP
    >>> [f["step"] for f in dyn.frames()][:3], dyn.series("active_units")     # doctest: +SKIP
    """
    if method not in METHODS:
        raise LatentLabError(f"Unknown alignment `method` '{method}'; choose one of {', '.join(METHODS)}.",
                             param="method", value=method)
    name, path, record = snapshot_record(run)
    maps = cached_maps(record, method, seed)
    found = probe_colours(record, maps) if colours else {}
    return Dynamics(name, str(record.dataset.get("name", "")), method, record.probe, record.steps, maps,
                    record.entries, found)


def cached_maps(record: SnapshotRecord, method: str, seed: int) -> list[np.ndarray]:
    key = digest(record.index(), method, seed)
    path = subdir(CACHE) / f"{key}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as saved:
            return list(saved["maps"])
    maps = aligned_maps(record.all_codes(), method, seed)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, maps=np.stack(maps))
    return maps


def probe_colours(record: SnapshotRecord, maps: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The probe's labels, each factor (``factor: NAME``) and the clusters of its last snapshot's codes."""
    from latentlab.data import load_dataset

    out: dict[str, np.ndarray] = {}
    n_groups = 8
    try:
        ds = load_dataset(record.dataset["name"])
    except (LatentLabError, KeyError):
        ds = None
    if ds is not None and ds.fingerprint == record.dataset.get("fingerprint"):
        if ds.labels is not None:
            out["label"] = np.asarray(ds.labels)[record.probe]
            n_groups = max(2, min(20, len(np.unique(out["label"]))))
        if ds.factors is not None:
            for col in ds.factors.columns:
                out[f"factor: {col}"] = ds.factors[col].to_numpy()[record.probe]
    out["final cluster"] = final_clusters(record.codes(record.steps[-1]), n_groups)
    return out


def final_clusters(codes: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    from sklearn.cluster import KMeans

    k = max(1, min(int(k), len(codes)))
    return KMeans(k, n_init=3, random_state=seed).fit_predict(np.nan_to_num(codes)).astype(np.int64)


PALETTE = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
                    [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]], np.uint8)


def point_colours(values: np.ndarray | None, n: int) -> np.ndarray:
    """RGB (n, 3) for a colouring: categories cycle through a ten-colour palette, numbers run dark to light."""
    if values is None:
        return np.tile(PALETTE[0], (n, 1))
    values = np.asarray(values)
    if values.dtype.kind == "f" and len(np.unique(values)) > len(PALETTE):
        t = (values - np.nanmin(values)) / max(float(np.nanmax(values) - np.nanmin(values)), 1e-12)
        return (np.stack([t * 220 + 20, t * 180 + 40, 200 - t * 150], 1)).astype(np.uint8)
    _, codes = np.unique(values.astype(str), return_inverse=True)
    return PALETTE[codes % len(PALETTE)]


def formation_gif(dyn: Dynamics, colour_by: str | None = None, size: int = 420, ms_per_frame: int = 400) -> bytes:
    """The maps as an animated GIF, one frame per snapshot, on fixed axes, each frame labelled with its step."""
    from PIL import Image, ImageDraw

    if colour_by is not None and colour_by not in dyn.colours:
        raise LatentLabError(f"Unknown colouring `colour_by` '{colour_by}'; choose one of {', '.join(dyn.colours)}.",
                             param="colour_by", value=colour_by)
    rgb = [tuple(int(c) for c in row) for row in point_colours(dyn.colours.get(colour_by), len(dyn.probe))]
    every = np.concatenate(dyn.maps)
    lo, hi = every.min(0), every.max(0)
    span = max(float((hi - lo).max()), 1e-9)
    pad = 24
    frames = []
    for step, xy in zip(dyn.steps, dyn.maps):
        img = Image.new("RGB", (size, size), (255, 255, 255))
        draw = ImageDraw.Draw(img)
        px = pad + (xy - lo) / span * (size - 2 * pad)  # (P, 2) on one scale for every frame
        for (x, y), c in zip(px, rgb):
            draw.ellipse((x - 1.5, size - y - 1.5, x + 1.5, size - y + 1.5), fill=c)
        draw.text((8, 6), f"{dyn.run}  step {step}", fill=(0, 0, 0))
        frames.append(img.convert("P", palette=Image.ADAPTIVE))
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()
