"""Pick the compute device: CUDA, else Apple MPS, else CPU."""

from __future__ import annotations

import torch

from latentlab.core.errors import LatentLabError


def resolve_device(name: str = "auto") -> torch.device:
    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LatentLabError("--device cuda was asked for but no CUDA GPU is available; use --device auto or cpu.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise LatentLabError("--device mps was asked for but Apple MPS is not available; use --device auto or cpu.")
    if name not in {"cpu", "cuda", "mps"}:
        raise LatentLabError(f"Unknown device '{name}'; use auto, cpu, cuda or mps.")
    return torch.device(name)
