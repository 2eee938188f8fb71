"""Background jobs: training, projections and clusterings that outlive the
process that asked for them (a Streamlit rerun, a closed tab, a CLI call).

``submit_*`` writes a queued row and makes sure a runner is alive; the runner
starts worker processes; ``cancel`` and ``resume`` change a job's state.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from dataclasses import fields

from latentlab.core.errors import LatentLabError
from latentlab.core.params import parse_value
from latentlab.jobs import store
from latentlab.jobs.executor import ExecutorSpec
from latentlab.jobs.runner import ensure_runner
from latentlab.jobs.store import ACTIVE, FINISHED, Job, get, history, list_jobs

__all__ = ["ACTIVE", "FINISHED", "Job", "cancel", "get", "history", "list_jobs", "parse_grid", "resume", "submit",
           "submit_sweep", "submit_text_import", "submit_train", "wait"]


def submit(kind: str, params: dict, name: str | None = None, sweep: str | None = None, start: bool = True,
           executor: ExecutorSpec | None = None) -> int:
    """Queue a job; ``executor`` (``latentlab.jobs.executor.resolve_executor``) None runs it on this machine."""
    job_id = store.create(kind, params, name=name, sweep=sweep, executor=executor)
    if start:
        _start(executor)
    return job_id


def _start(executor: ExecutorSpec | None) -> None:
    """Make sure something runs the queued jobs: this machine's runner, or the driver for the Ray cluster."""
    if executor:
        from latentlab.jobs.ray_driver import ensure_ray_driver

        ensure_ray_driver(executor.address)
    else:
        ensure_runner()


def _check_train_request(dataset: str, model: str, model_params: dict | None) -> None:
    from latentlab.data import dataset_exists, dataset_names
    from latentlab.models import check_settings

    if not dataset_exists(dataset):
        raise LatentLabError(f"Unknown dataset '{dataset}'; known datasets: {', '.join(dataset_names())}.")
    check_settings(model, {k: True for k in model_params or {}})  # a None value is still a setting it must have


def submit_train(dataset: str, model: str, model_params: dict | None, train_config, name: str | None = None,
                 sweep: str | None = None, start: bool = True, executor: ExecutorSpec | None = None) -> int:
    """Queue a training run; its checkpoint is called ``name`` (default DATASET-MODEL-jobID)."""
    from latentlab.checkpoints import format as checkpoints

    _check_train_request(dataset, model, model_params)
    if name is not None and (checkpoints.checkpoint_path(name).exists()
                             or any(j.params.get("name") == name for j in list_jobs(ACTIVE) if j.kind == "train")):
        raise LatentLabError(f"A checkpoint or job named '{name}' already exists; choose another `name`.", param="name",
                             value=name)
    params = {"dataset": dataset, "model": model, "model_params": dict(model_params or {}),
              "train_config": train_config.to_dict(), "name": name}
    job_id = store.create("train", params, name=name, sweep=sweep, executor=executor)
    if name is None:
        params["name"] = checkpoints.unique_name(f"{dataset}-{model}-job{job_id}")
        store.update(job_id, params=params, name=params["name"])
    if start:
        _start(executor)
    return job_id


def submit_text_import(path, name: str, text: str, labels: str | None = None, encoder: str | None = None,
                       staged: bool = False) -> int:
    """Queue ``import_text_dataset`` (read, embed, register) as a job; the file, the column and the name are
    checked first, so what the import would refuse is refused now. ``staged``: the file is a copy made for
    this job (an upload), removed with its folder when the job ends."""
    from pathlib import Path

    from latentlab.data.registry import check_text_import

    if any(j.kind == "import-text" and j.params.get("name") == name for j in list_jobs(ACTIVE)):
        raise LatentLabError(f"A job is already importing a dataset named '{name}'; choose another `name`.",
                             param="name", value=name)
    n = check_text_import(path, name, text, labels, encoder)
    params = {"path": str(Path(path).resolve()), "name": name, "text": text, "labels": labels, "encoder": encoder,
              "staged": staged, "documents": n}
    return submit("import-text", params, name=f"import {name}")


def submit_sweep(dataset: str, model: str, grid: dict[str, list], model_params: dict | None, train_config,
                 name: str | None = None, executor: ExecutorSpec | None = None) -> tuple[str, list[int]]:
    """One training job per point of the grid (at most two axes); returns (sweep id, job ids).

    Grid keys are model settings (``beta``, ``latent_dim``, ...) or training
    settings (``seed``, ``lr``, ``batch_size``).
    """
    from latentlab.models import check_settings

    if not 1 <= len(grid) <= 2:
        raise LatentLabError(f"A sweep takes one or two `grid` axes (e.g. beta=1,4,8 and seed=0,1), not {len(grid)}.",
                             param="grid", value=grid)
    model_keys = {f.name for f in check_settings(model, {}).user_fields()}
    train_keys = {f.name for f in fields(type(train_config))}
    for key in grid:
        if key not in model_keys | train_keys:
            raise LatentLabError(f"`grid` axis '{key}' is not a setting of '{model}' or of training; use one of "
                                 f"{', '.join(sorted(model_keys | train_keys))}.", param="grid", value=key)
    sweep = name or f"sweep-{time.strftime('%Y%m%d-%H%M%S')}"
    ids = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values))
        mp = {**(model_params or {}), **{k: v for k, v in point.items() if k in model_keys}}
        tc = type(train_config)(**{**train_config.to_dict(), **{k: v for k, v in point.items() if k in train_keys and k not in model_keys}})
        label = "-".join(f"{k}{v}" for k, v in point.items())
        ids.append(submit_train(dataset, model, mp, tc, name=None, sweep=sweep, start=False, executor=executor))
        job = get(ids[-1])
        store.update(ids[-1], name=f"{sweep}/{label}", params={**job.params, "point": point})
    _start(executor)
    return sweep, ids


def cancel(job_id: int) -> Job:
    job = get(job_id)
    if job.state in FINISHED:
        raise LatentLabError(f"Job {job_id} has already ended ({job.state}); there is nothing to cancel.")
    if store.transition(job_id, ("queued",), state="cancelled", finished=time.time(), error="Cancelled before it started."):
        return get(job_id)
    store.update(job_id, cancel_requested=1)
    if job.pid and not job.executor:  # a Ray job's pid is its driver's, which cancels the task (ray_driver)
        with contextlib.suppress(OSError):
            os.kill(job.pid, signal.SIGTERM)
    return get(job_id)


def resume(job_id: int) -> Job:
    """Queue an interrupted, failed or cancelled training job again; it continues from its last checkpoint."""
    job = get(job_id)
    if job.kind != "train":
        raise LatentLabError(f"Job {job_id} is a {job.kind} job; only training jobs can be resumed (submit it again).")
    if job.executor:  # back to its cluster, which must be there
        from latentlab.jobs.executor import check_reachable, import_ray

        import_ray()
        check_reachable(job.executor.address)
    if not store.transition(job_id, ("interrupted", "failed", "cancelled"), state="queued", cancel_requested=0,
                            error=None, finished=None, pid=None):
        raise LatentLabError(f"Job {job_id} is {job.state}; only interrupted, failed or cancelled jobs can be resumed.")
    _start(job.executor)
    return get(job_id)


def wait(job_id: int, timeout: float = 600.0, poll: float = 0.2) -> Job:
    """Block until the job ends (or ``timeout`` seconds pass); returns it."""
    deadline = time.time() + timeout
    while True:
        job = get(job_id)
        if job.state in FINISHED or time.time() > deadline:
            return job
        time.sleep(poll)


def parse_grid(items: list[str]) -> dict[str, list]:
    """``NAME=V1,V2,...`` axes -> {name: [values]}, numbers parsed."""
    grid = {}
    for item in items:
        if "=" not in item:
            raise LatentLabError(f"`grid` axis '{item}' is not NAME=V1,V2,... (e.g. beta=1,4,8).", param="grid", value=item)
        key, values = item.split("=", 1)
        grid[key.strip().replace("-", "_")] = [parse_value(v) for v in values.split(",") if v.strip()]
    return grid
