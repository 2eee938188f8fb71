"""A run's history where researchers already look: ``metrics.csv`` in the run's folder always, TensorBoard event
files and MLflow runs when their packages are installed, each with the run's hyperparameters, as Lightning's
``CSVLogger``, ``TensorBoardLogger`` and ``MLFlowLogger`` write them.

``TrainConfig.loggers`` picks them: ``auto`` (the default) writes the CSV, TensorBoard's files when the
``tensorboard`` package is installed, and an MLflow run when ``LATENTLAB_MLFLOW_URI`` names a tracking server (or
folder) and ``mlflow`` is installed; a missing package is then skipped in silence. A comma-separated list
(``csv,tensorboard,mlflow``) asks for those: one that cannot be written is one sentence naming the extra to
install. Without ``LATENTLAB_MLFLOW_URI``, ``mlflow`` asked for writes to the folder store
``<checkpoints>/runs/mlruns``. The run's folder is ``<checkpoints>/runs/<name>/``; TensorBoard reads it with
``tensorboard --logdir <checkpoints>/runs``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.training.trainer import BaseCallback

LOGGERS = ("csv", "tensorboard", "mlflow")
MLFLOW_URI_ENV = "LATENTLAB_MLFLOW_URI"
PACKAGES = {"tensorboard": "tensorboard", "mlflow": "mlflow"}


def run_folder(manifest_path: Path) -> Path:
    """The folder of the run saved as ``manifest_path`` (``<checkpoints>/NAME.json``): ``<checkpoints>/runs/NAME``."""
    return Path(manifest_path).parent / "runs" / Path(manifest_path).stem


def chosen_loggers(spec: str) -> tuple[str, ...]:
    """The loggers ``spec`` asks for (``auto`` or a comma-separated list of ``LOGGERS``), after checking that each
    one asked for by name can be written; raises one sentence otherwise."""
    spec = str(spec or "auto").strip()
    if spec == "auto":
        names = ["csv"] + [n for n in ("tensorboard",) if _installed(n)]
        if os.environ.get(MLFLOW_URI_ENV) and _installed("mlflow"):
            names.append("mlflow")
        return tuple(names)
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in LOGGERS]
    if unknown or not names:
        raise LatentLabError(f"Unknown run log {', '.join(unknown) or repr(spec)}; `loggers` takes auto or a "
                             f"comma-separated list of {', '.join(LOGGERS)}.", param="loggers", value=spec)
    for n in names:
        if n != "csv" and not _installed(n):
            raise LatentLabError(f"Logging runs to {n} needs the {PACKAGES[n]} package; install it with "
                                 "pip install 'latentlab[tracking]', or leave it out of `loggers`.", param="loggers",
                                 value=spec)
    return tuple(dict.fromkeys(["csv", *names]))  # the CSV is always written


def _installed(name: str) -> bool:
    return importlib.util.find_spec(PACKAGES[name]) is not None


def flat_params(params: dict, prefix: str = "") -> dict[str, str | float | int | bool]:
    """Nested settings as one level of ``model/beta``-style keys with scalar values (lists as JSON text)."""
    out: dict = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_params(value, f"{name}/"))
        elif isinstance(value, (str, int, float, bool)):
            out[name] = value
        else:
            out[name] = json.dumps(value)
    return out


class RunLogs(BaseCallback):
    """Write every history row the trainer logs to the chosen loggers; ``params`` are the run's hyperparameters.

    On a resumed run the CSV keeps its rows up to the step the run resumes from (rows logged after the last
    checkpoint are dropped, since those steps are trained again) and appends the rest.
    """

    def __init__(self, folder: Path, params: dict, loggers: tuple[str, ...], run_name: str):
        self.folder, self.params, self.loggers, self.run_name = Path(folder), params, loggers, run_name
        self._written = 0  # history rows already written
        self._csv_file = self._csv = None
        self._tb = None
        self._mlflow_run = None

    # -- the trainer's hooks ------------------------------------------------------
    def on_start(self, trainer) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        start = trainer.state.step
        kept = self._open_csv(start)  # False: no rows from before (a new run, or one logged before run logs)
        if "tensorboard" in self.loggers:
            self._open_tensorboard(start)
        if "mlflow" in self.loggers:
            self._open_mlflow()
        self._written = len(trainer.state.history) if kept else 0
        self.on_step(trainer)

    def on_step(self, trainer) -> None:
        history = trainer.state.history
        if len(history) > self._written:
            self._write_rows(history[self._written:])
            self._written = len(history)

    def on_end(self, trainer) -> None:
        self.on_step(trainer)
        self.close()

    def close(self) -> None:
        if self._csv_file is not None:
            self._csv_file.close()
            self._csv_file = None
        if self._tb is not None:
            self._tb.close()
            self._tb = None
        if self._mlflow_run is not None:
            import mlflow

            mlflow.end_run()
            self._mlflow_run = None

    # -- the writers ---------------------------------------------------------------
    def _open_csv(self, start: int) -> bool:
        path = self.folder / "metrics.csv"
        header = None
        if start > 0 and path.exists():  # resume: keep the rows up to the step the run resumes from
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
            header = list(rows[0]) if rows else None
            tmp = path.with_suffix(".csv.tmp")
            with open(tmp, "w", newline="") as f:
                if header:
                    writer = csv.DictWriter(f, header)
                    writer.writeheader()
                    writer.writerows(r for r in rows if float(r["step"]) <= start)
            os.replace(tmp, path)
        self._csv_file = open(path, "a" if header else "w", newline="")
        self._csv = csv.DictWriter(self._csv_file, header, extrasaction="ignore", restval="") if header else None
        return header is not None

    def _open_tensorboard(self, start: int) -> None:
        from torch.utils.tensorboard import SummaryWriter
        from torch.utils.tensorboard.summary import hparams

        self._tb = SummaryWriter(str(self.folder), purge_step=start if start > 0 else None)
        if start == 0:  # the hyperparameters once per run, as Lightning's TensorBoardLogger writes them
            for summary in hparams(flat_params(self.params), {}):
                self._tb.file_writer.add_summary(summary)

    def _open_mlflow(self) -> None:
        import mlflow

        uri = os.environ.get(MLFLOW_URI_ENV) or (self.folder.parent / "mlruns").resolve().as_uri()
        if "://" not in uri or uri.startswith("file:"):
            # MLflow 3 keeps its folder store only on request; without SQLAlchemy (mlflow-skinny) it is the one
            # store that needs no server.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment("latentlab")
        self._mlflow_run = mlflow.start_run(run_name=self.run_name)
        values = flat_params(self.params)
        mlflow.log_params({k: str(v)[:500] for k, v in values.items()})

    def _write_rows(self, rows: list[dict]) -> None:
        for row in rows:
            step = int(row["step"])
            if self._csv is None:
                self._csv = csv.DictWriter(self._csv_file, list(row), extrasaction="ignore", restval="")
                self._csv.writeheader()
            self._csv.writerow(row)
            terms = {k: float(v) for k, v in row.items() if k != "step" and isinstance(v, (int, float))
                     and math.isfinite(v)}
            if self._tb is not None:
                for key, value in terms.items():
                    self._tb.add_scalar(f"train/{key}", value, step)
            if self._mlflow_run is not None:
                import mlflow

                mlflow.log_metrics(terms, step=step)
        if rows:
            self._csv_file.flush()
            if self._tb is not None:
                self._tb.flush()


def run_logs(manifest_path: Path, run_name: str, model_name: str, net, dataset, train_config) -> list[RunLogs]:
    """The run-log callback of a run saved as ``manifest_path``, with its hyperparameters (model settings, training
    settings, dataset); checks ``train_config.loggers`` before anything is written."""
    loggers = chosen_loggers(getattr(train_config, "loggers", "auto"))
    config = getattr(net, "config", None)
    model_config = config.to_dict() if hasattr(config, "to_dict") else {}
    params = {"model": model_name, "dataset": dataset.name, "model_config": model_config,
              "training": train_config.to_dict()}
    return [RunLogs(run_folder(manifest_path), params, loggers, run_name)]
