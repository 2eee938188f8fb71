"""A corpus of hostile and broken files, generated on the fly (nothing is shipped).

Each entry: file name, a function (folder, canary path) -> bytes, and a phrase the
refusal must contain.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
import zlib

import numpy as np


class Payload:
    """Unpickling this creates the canary file: proof that a pickle ran."""

    def __init__(self, canary):
        self.canary = str(canary)

    def __reduce__(self):
        return (open, (self.canary, "w"))


def png_bytes(w: int = 8, h: int = 8, value: int = 128) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((h, w), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims ``width`` x ``height`` pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b"")


def zip_of(members: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (0o120777 << 16)
            zf.writestr(info, data)
    return buf.getvalue()


def zip_bomb(uncompressed_gib: int = 3) -> bytes:
    """A valid ZIP whose one member, bomb.png, inflates to ``uncompressed_gib`` GiB of zeros (a few MB on disk)."""
    block = b"\x00" * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)  # decodes on its own to 1 MiB of zeros
    n = uncompressed_gib * 1024
    stream = piece * n + comp.flush()
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    size = n * len(block)
    name = b"bomb.png"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(stream), size, len(name), 0) + name
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(stream), size, len(name),
                          0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(stream), 0)
    return local + stream + central + end


def npy_bytes(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def pickled_npy(canary) -> bytes:
    return npy_bytes(np.array([Payload(canary), 1], dtype=object), allow_pickle=True)


def pickled_npz(canary) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, x=np.array([Payload(canary), 2], dtype=object))
    return buf.getvalue()


def truncated_npz(_canary) -> bytes:
    data = npz_bytes(x=np.random.default_rng(0).random((50, 20)))
    return data[: len(data) // 2]


DATASET_CORPUS = {
    # name: (file name, maker(canary) -> bytes, phrase in the refusal)
    "pickle-npy": ("evil.npy", pickled_npy, "pickled"),
    "pickle-npz": ("evil.npz", pickled_npz, "pickled"),
    "object-npy": ("objects.npy", lambda c: npy_bytes(np.array(["a", None, 3], dtype=object), allow_pickle=True), "pickled"),
    "truncated-npz": ("cut.npz", truncated_npz, "NPZ"),
    "fake-zip": ("fake.zip", lambda c: b"PK\x03\x04 this is not really a zip archive" * 10, "not a valid ZIP"),
    "zip-slip": ("slip.zip", lambda c: zip_of({"../../evil.png": png_bytes(), "../escape.png": png_bytes()}), "'..' in path"),
    "absolute-path": ("abs.zip", lambda c: zip_of({"/tmp/latentlab-abs-evil.png": png_bytes(), "/etc/x.png": png_bytes()}), "absolute path"),
    "symlink": ("links.zip", lambda c: zip_of({"a.png": b"/etc/passwd", "b.png": b"/etc/hosts"}, symlinks=("a.png", "b.png")), "symbolic link"),
    "zip-bomb": ("bomb.zip", lambda c: zip_bomb(3), "zip bomb"),
    "png-bomb": ("huge.zip", lambda c: zip_of({"ok.png": png_bytes(), "huge.png": png_claiming(100_000, 100_000)}), "'huge.png' is a decompression bomb"),
    "big-png": ("big.zip", lambda c: zip_of({"ok.png": png_bytes(), "big.png": png_claiming(5000, 5000)}), "claims 5,000x5,000 pixels"),
    "not-an-image": ("junk-images.zip", lambda c: zip_of({"a.png": b"GIF89a not a png", "b.png": png_bytes()}), "not a readable PNG"),
    "empty-csv": ("empty.csv", lambda c: b"", "empty"),
    "blank-csv": ("blank.csv", lambda c: b"\n\n   \n", "empty"),
    "binary-junk": ("junk.csv", lambda c: bytes(range(256)) * 40, "binary"),
    "ragged": ("ragged.csv", lambda c: b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n", "line 3 has 2 fields"),
    "no-numeric": ("words.csv", lambda c: b"name,city\nann,paris\nbob,rome\n", "no numeric columns"),
    "single-row": ("one.csv", lambda c: b"a,b\n1,2\n", "single row"),
    "all-nan": ("nan.csv", lambda c: b"a,b\nnan,nan\nnan,\n,nan\n", "finite values"),
    "all-inf": ("inf.csv", lambda c: b"a,b\ninf,-inf\ninf,1\n1,-inf\n", "finite values"),
    "bad-parquet": ("bad.parquet", lambda c: b"PAR1" + b"\x00" * 100 + b"PAR1", "Parquet"),
    "nan-images": ("nan.npy", lambda c: npy_bytes(np.full((4, 8, 8), np.nan)), "NaN"),
    "label-mismatch": ("mismatch.npz", lambda c: npz_bytes(x=np.zeros((5, 8, 8)), labels=np.arange(3)), "one row per item"),
    "wrong-suffix": ("model.pkl", lambda c: pickle.dumps(Payload(c)), "unsupported file type"),
}
