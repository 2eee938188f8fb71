"""Where jobs run: this machine's workers (the default) or a Ray cluster.

The setting comes from ``--executor ray`` (with ``--ray-address``) on the commands that start jobs, from the Train
page, or from ``LATENTLAB_RAY_ADDRESS``. Unset, jobs run on this machine exactly as before. A Ray job is a row of
the same job table whose ``executor`` column holds the spec made here (``ExecutorSpec``), stored as JSON::

    {"kind": "ray", "address": "10.0.0.5:6379", "cpus": 1.0, "gpus": 0.25}

Ray is an optional extra (``latentlab[ray]``); nothing here imports it until a Ray executor is asked for, and the
cluster's address is checked with a plain TCP connection (a second or two) rather than ``ray.init``, which waits
a minute for a missing cluster.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from latentlab.core.errors import LatentLabError

ADDRESS_ENV = "LATENTLAB_RAY_ADDRESS"
INSTALL = 'pip install "latentlab[ray]"'
CONNECT_TIMEOUT_S = 3.0
EXECUTORS = ("local", "ray")


@dataclass(frozen=True, eq=False)
class ExecutorSpec(Mapping):
    """Where a job runs when not on this machine: a Ray cluster's ``address`` and the CPUs and GPUs (a fraction
    shares one) each run asks for. Reads as the mapping the job table stores (``dict(spec)``)."""

    address: str
    cpus: float = 1.0
    gpus: float = 0.0
    kind: str = "ray"

    @classmethod
    def from_dict(cls, raw: Mapping) -> "ExecutorSpec":
        return cls(str(raw["address"]), float(raw.get("cpus", 1.0)), float(raw.get("gpus", 0.0)),
                   str(raw.get("kind", "ray")))

    def __getitem__(self, key: str):
        return asdict(self)[key]

    def __iter__(self):
        return iter(("kind", "address", "cpus", "gpus"))

    def __len__(self) -> int:
        return 4

    def __eq__(self, other) -> bool:
        return isinstance(other, Mapping) and dict(self) == dict(other)

    def __hash__(self) -> int:
        return hash((self.kind, self.address, self.cpus, self.gpus))


def import_ray():
    """The ``ray`` module, or one sentence saying how to install it."""
    try:
        import ray
    except ImportError:
        raise LatentLabError(f"Running jobs on a Ray cluster needs Ray, which is not installed; install it with "
                             f"{INSTALL}.") from None
    return ray


def configured_address() -> str | None:
    """``LATENTLAB_RAY_ADDRESS``, or None when jobs run on this machine by default."""
    return os.environ.get(ADDRESS_ENV, "").strip() or None


def _host_port(address: str) -> tuple[str, int]:
    bare = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = bare.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise LatentLabError(f"Ray address '{address}' is not HOST:PORT (e.g. 10.0.0.5:6379, which 'ray start "
                             "--head' prints); fix `ray_address` or LATENTLAB_RAY_ADDRESS.", param="ray_address",
                             value=address)
    return host.strip("[]"), int(port)


def canonical_address(address: str | None) -> str:
    """``HOST:PORT`` of the cluster: ``address`` itself, or for None/"auto" the cluster that ``ray start`` last
    started on this machine (or ``RAY_ADDRESS``)."""
    if address and address != "auto":
        _host_port(address)
        return address
    import_ray()
    found = local_cluster_address()
    if found:
        _host_port(found)
        return found
    raise LatentLabError("No Ray cluster is running on this machine; start one with 'ray start --head', or give "
                         "the address of an existing cluster as `ray_address` HOST:PORT (or LATENTLAB_RAY_ADDRESS).",
                         param="ray_address")


def local_cluster_address() -> str | None:
    """``RAY_ADDRESS``, else the cluster ``ray start`` last started on this machine: the address Ray records in
    ``ray_current_cluster`` in its temporary folder (``RAY_TMPDIR``, else the system's, then ``ray``)."""
    env = os.environ.get("RAY_ADDRESS", "").strip()
    if env and env != "auto":
        return env
    folder = Path(os.environ.get("RAY_TMPDIR") or tempfile.gettempdir()) / "ray"
    try:
        return (folder / "ray_current_cluster").read_text().strip() or None
    except OSError:
        return None


def reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> bool:
    """Whether something accepts connections at the cluster's address."""
    try:
        host, port = _host_port(address)
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except (OSError, LatentLabError):
        return False


def check_reachable(address: str) -> None:
    if not reachable(address):
        raise LatentLabError(f"No Ray cluster answers at {address}; start one there with 'ray start --head' (or check "
                             "`ray_address`, which 'ray start' prints) and try again.", param="ray_address",
                             value=address)


def resolve_executor(executor: str | None = None, address: str | None = None, cpus_per_run: float | None = None,
                     gpus_per_run: float | None = None) -> ExecutorSpec | None:
    """The executor spec for new jobs: None for this machine's workers, else a Ray spec (see the module docstring).

    ``executor`` None means: Ray when an address is given or ``LATENTLAB_RAY_ADDRESS`` is set, else this machine.
    Ray must be installed and the cluster must answer; each failure is one sentence.
    """
    if executor not in (None, *EXECUTORS):
        raise LatentLabError(f"`executor` '{executor}' is not one of {', '.join(EXECUTORS)}.", param="executor",
                             value=executor)
    address = (address or "").strip() or None
    kind = executor or ("ray" if address or configured_address() else "local")
    if kind == "local":
        if address:
            raise LatentLabError("`ray_address` goes with `executor` ray; leave it out to run on this machine.",
                                 param="ray_address", value=address, also=("executor",))
        if cpus_per_run is not None or gpus_per_run is not None:
            raise LatentLabError("`cpus_per_run` and `gpus_per_run` apply to Ray jobs; set `executor` to ray.",
                                 param="executor", also=("cpus_per_run", "gpus_per_run"))
        return None
    cpus = 1.0 if cpus_per_run is None else float(cpus_per_run)
    gpus = 0.0 if gpus_per_run is None else float(gpus_per_run)
    if cpus <= 0 or gpus < 0:
        raise LatentLabError("`cpus_per_run` must be positive and `gpus_per_run` at least 0 (e.g. 0.25 to share a "
                             "GPU between four runs).", param="cpus_per_run" if cpus <= 0 else "gpus_per_run",
                             value=cpus if cpus <= 0 else gpus, also=("cpus_per_run", "gpus_per_run"))
    if gpus > 1 and not gpus.is_integer():
        raise LatentLabError(f"`gpus_per_run` {gpus:g} is neither a fraction of one GPU nor whole GPUs, which is what "
                             "Ray gives a run; use a value up to 1, or a whole number.", param="gpus_per_run", value=gpus)
    import_ray()
    resolved = canonical_address(address or configured_address())
    check_reachable(resolved)
    return ExecutorSpec(resolved, cpus, gpus)


def configured_executor(timeout: float = 1.0) -> ExecutorSpec | None:
    """The Ray spec of ``LATENTLAB_RAY_ADDRESS`` when Ray is installed and the cluster answers, else None (this
    machine): for work the dashboard starts by itself, which falls back to this machine rather than failing."""
    import importlib.util

    address = configured_address()
    if address is None or importlib.util.find_spec("ray") is None or not reachable(address, timeout):
        return None
    return ExecutorSpec(address)


def describe(executor: ExecutorSpec | None) -> str:
    """'this machine' or 'Ray at HOST:PORT'."""
    return "this machine" if not executor else f"Ray at {executor.address}"
