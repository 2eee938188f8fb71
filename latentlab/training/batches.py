"""Items on the device: a dataset's rows as float32 batches, held there in their stored dtype or read from the host.

Both training (``trainer.BatchStream``'s random mini-batches) and encoding (``embedding``'s chunks, through
``core.device.to_float``) use these, so a batch is the same float32 values whichever path made it.
"""

from __future__ import annotations

import numpy as np
import torch

from latentlab.core.device import to_float  # noqa: F401 (encoding uses it too)
from latentlab.data import Dataset

IN_MEMORY_BYTES = 512 * 1024**2  # off CUDA, data smaller than this (in its stored dtype) is held in memory
GPU_RESIDENT_FRACTION = 0.5  # on CUDA, data is held on the GPU when it needs at most this share of free memory
UPLOAD_CHUNK_BYTES = 64 * 1024**2  # host-to-device copies go in pieces this large


def stored_dtype(dtype: np.dtype) -> torch.dtype:
    """The dtype items of ``dtype`` keep on the device: their own when 4 bytes or less, else float32."""
    dtype = np.dtype(dtype)
    if dtype.itemsize > 4 or dtype.kind not in "biuf":
        return torch.float32  # float64 and int64 would take twice the memory for no gain in a float32 model
    return torch.from_numpy(np.empty(0, dtype)).dtype


def stored_bytes(dataset: Dataset) -> int:
    """Bytes the items take on the device in their stored dtype (see ``stored_dtype``)."""
    itemsize = torch.empty(0, dtype=stored_dtype(dataset.x.dtype)).element_size()
    return len(dataset) * int(np.prod(dataset.item_shape)) * itemsize


def holds_resident(dataset: Dataset, device: torch.device) -> bool:
    """Whether training keeps the whole dataset on ``device`` rather than reading batches from the host.

    On CUDA the data stays in its stored dtype (a bool image is 1 byte a pixel)
    when it needs at most ``GPU_RESIDENT_FRACTION`` of the free GPU memory, the
    rest being left for activations and the allocator's cache. Elsewhere it is
    held when smaller than ``IN_MEMORY_BYTES``, so a large memory-mapped set is
    streamed from disk instead of read whole into RAM.
    """
    n_bytes = stored_bytes(dataset)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return n_bytes <= GPU_RESIDENT_FRACTION * free
    return n_bytes <= IN_MEMORY_BYTES


def upload(x: np.ndarray, device: torch.device) -> torch.Tensor:
    """``x`` as a tensor on ``device`` in its stored dtype, copied in pieces.

    A piece of at most ``UPLOAD_CHUNK_BYTES`` is read (from a memory map, if
    that is what ``x`` is) and copied at a time, so the host never holds a
    second full copy, let alone a float32 one. On the CPU an in-memory array
    of the right dtype is shared, not copied.
    """
    dtype = stored_dtype(x.dtype)
    if (device.type == "cpu" and not isinstance(x, np.memmap) and x.flags.c_contiguous and x.flags.writeable
            and torch.from_numpy(x[:0]).dtype == dtype):
        return torch.from_numpy(x)
    out = torch.empty(x.shape, dtype=dtype, device=device)
    row_bytes = max(1, int(np.prod(x.shape[1:])) * x.dtype.itemsize)
    rows = max(1, UPLOAD_CHUNK_BYTES // row_bytes)
    for start in range(0, len(x), rows):
        piece = torch.from_numpy(np.array(x[start:start + rows], order="C"))  # a copy: memory maps are read-only
        out[start:start + rows].copy_(piece)  # the cast to float32, where there is one, happens on the device
    return out


class BatchStream:
    """Random mini-batches as float32 tensors on the device, epoch by epoch.

    Each epoch is a random permutation of the items cut into full batches
    (the remainder is dropped). Resident data (see ``holds_resident``) is
    indexed on the device with indices drawn there by a seeded generator, so a
    step never waits on the host; otherwise the rows of each batch are read
    from the host in their stored dtype, copied, and converted on the device.
    Both paths give the same batches for the same seed on the CPU.
    """

    def __init__(self, dataset: Dataset, batch_size: int, device: torch.device, seed: int,
                 resident: bool | None = None):
        self.dataset = dataset
        self.batch_size = min(batch_size, len(dataset))
        self.device = device
        self.is_resident = holds_resident(dataset, device) if resident is None else resident
        # Resident data is indexed where it lives; generators elsewhere than the CPU and CUDA are not relied on.
        on_device = self.is_resident and device.type in ("cpu", "cuda")
        self.index_device = device if on_device else torch.device("cpu")
        self.generator = torch.Generator(device=self.index_device)
        self.generator.manual_seed(seed)
        self.resident = upload(dataset.x, device) if self.is_resident else None
        self._order = torch.empty(0, dtype=torch.int64, device=self.index_device)
        self._pos = 0

    def next_indices(self) -> torch.Tensor:
        """Indices of the next batch, on the device for resident data, else on the CPU."""
        if self._pos + self.batch_size > len(self._order):
            self._order = torch.randperm(len(self.dataset), generator=self.generator, device=self.index_device)
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.batch_size]
        self._pos += self.batch_size
        return idx

    def batch(self, idx: torch.Tensor) -> torch.Tensor:
        """Rows ``idx`` (from ``next_indices``) as float32 on the device."""
        if self.resident is not None:
            return to_float(torch.index_select(self.resident, 0, idx.to(self.device, non_blocking=True)))
        rows = torch.from_numpy(np.ascontiguousarray(self.dataset.rows(idx.numpy())))
        return to_float(rows.to(self.device, non_blocking=True))

    def next(self) -> torch.Tensor:
        return self.batch(self.next_indices())
