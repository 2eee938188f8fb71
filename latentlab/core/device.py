"""Pick the compute device: CUDA, else Apple MPS, else CPU."""

from __future__ import annotations

from contextlib import contextmanager

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
        raise LatentLabError("`device` cuda was asked for but no CUDA GPU is available; use auto or cpu.",
                             param="device", value=name)
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise LatentLabError("`device` mps was asked for but Apple MPS is not available; use auto or cpu.",
                             param="device", value=name)
    if name not in {"cpu", "cuda", "mps"}:
        raise LatentLabError(f"Unknown device '{name}'; use auto, cpu, cuda or mps.")
    return torch.device(name)


@contextmanager
def torch_threads(n: int, device: torch.device | str = "cpu"):
    """torch's intra-op threads at ``n`` for the block on a CPU ``device`` (restored after); nothing elsewhere.

    For long runs of small tensor ops (an SGD over blocks of a few thousand edges): their threads meet at every
    op, and where another process holds a core each meeting waits for a descheduled thread. On 2 cores with two
    other busy processes a UMAP of 70,000 points took 38 s on one thread and over 180 s on two.
    """
    if torch.device(device).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def to_float(batch: torch.Tensor) -> torch.Tensor:
    """A batch in its stored dtype as float32, equal to ``Dataset.as_float`` of the same rows.

    uint8 is scaled by 1/255, bool becomes 0/1, floats are cast. The division
    is by a tensor, not a Python number: CUDA turns division by a scalar into
    a multiplication by its reciprocal, which can differ in the last bit.
    """
    if batch.dtype == torch.uint8:
        return batch.float().div_(torch.full((), 255.0, device=batch.device))
    return batch.float()
