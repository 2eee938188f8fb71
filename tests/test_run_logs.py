"""A run's history where researchers already look: metrics.csv read back by pandas, TensorBoard's event files by
TensorBoard's own reader, an MLflow run by MLflow's client; a resumed run's CSV; a logger that cannot be written
asked for is one sentence."""

from types import SimpleNamespace

import pandas as pd
import pytest

from latentlab.core.errors import LatentLabError
from latentlab.training import loggers
from latentlab.training.loggers import RunLogs, chosen_loggers, run_folder


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    """One short run on a small table, logged to the CSV and TensorBoard (and MLflow where it is installed)."""
    pytest.importorskip("tensorboard")
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("LATENTLAB_HOME", str(home))
    spec = "csv,tensorboard"
    mlruns = home / "mlruns"
    try:
        import mlflow  # noqa: F401

        mp.setenv(loggers.MLFLOW_URI_ENV, mlruns.as_uri())
        spec += ",mlflow"
    except ImportError:
        pass
    import latentlab as ll
    from latentlab.training.trainer import TrainConfig

    run = ll.train("wine", "vae", {"latent_dim": 2, "hidden": "8", "beta": 2.0},
                   TrainConfig(steps=30, batch_size=32, log_every=10, loggers=spec), name="logged")
    yield SimpleNamespace(run=run, folder=run_folder(run.checkpoint), spec=spec, mlruns=mlruns,
                          history=ll.load_checkpoint(run.name).manifest["history"])
    mp.undo()


def test_metrics_csv_holds_the_history_and_pandas_reads_it(logged_run):
    frame = pd.read_csv(logged_run.folder / "metrics.csv")
    assert list(frame["step"]) == [1, 10, 20, 30] == [h["step"] for h in logged_run.history]
    assert {"recon", "kl", "loss"} <= set(frame.columns)
    assert frame["loss"].tolist() == pytest.approx([h["loss"] for h in logged_run.history], rel=1e-6)


def test_tensorboard_reads_the_scalars_and_the_hyperparameters(logged_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logged_run.folder))
    acc.Reload()
    loss = acc.Scalars("train/loss")
    assert [e.step for e in loss] == [1, 10, 20, 30]
    assert [e.value for e in loss] == pytest.approx([h["loss"] for h in logged_run.history], rel=1e-5)
    plugins = acc.PluginTagToContent("hparams")
    assert "_hparams_/experiment" in plugins and b"model_config/beta" in plugins["_hparams_/session_start_info"]


def test_mlflow_holds_the_run_with_its_settings(logged_run):
    if "mlflow" not in logged_run.spec:
        pytest.skip("mlflow is not installed")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=logged_run.mlruns.as_uri())
    (run,) = client.search_runs([client.get_experiment_by_name("latentlab").experiment_id])
    assert run.data.params["model_config/beta"] == "2.0" and run.data.params["dataset"] == "wine"
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "loss")]
    assert steps == [1, 10, 20, 30]


def test_a_resumed_run_keeps_its_rows_up_to_the_resumed_step(tmp_path):
    folder = tmp_path / "run"
    first = SimpleNamespace(state=SimpleNamespace(step=0, history=[]))
    logs = RunLogs(folder, {"model": "vae"}, ("csv",), "r")
    logs.on_start(first)
    for step in (10, 20, 30):  # rows 20 and 30 come after the last checkpoint (step 10) and are trained again
        first.state.step = step
        first.state.history.append({"step": step, "loss": float(step)})
        logs.on_step(first)
    logs.close()
    again = SimpleNamespace(state=SimpleNamespace(step=10, history=[{"step": 10, "loss": 10.0}]))
    logs = RunLogs(folder, {"model": "vae"}, ("csv",), "r")
    logs.on_start(again)
    again.state.step = 20
    again.state.history.append({"step": 20, "loss": 19.0})
    logs.on_end(again)
    frame = pd.read_csv(folder / "metrics.csv")
    assert frame["step"].tolist() == [10, 20] and frame["loss"].tolist() == [10.0, 19.0]


def test_a_missing_package_is_one_sentence_when_asked_for_and_skipped_by_default(monkeypatch):
    monkeypatch.setattr(loggers, "_installed", lambda name: False)
    monkeypatch.setenv(loggers.MLFLOW_URI_ENV, "file:///nowhere")
    assert chosen_loggers("auto") == ("csv",)
    with pytest.raises(LatentLabError, match=r"pip install 'latentlab\[tracking\]'") as err:
        chosen_loggers("csv,tensorboard")
    assert err.value.param == "loggers" and "\n" not in str(err.value)
    with pytest.raises(LatentLabError, match="wandb") as err:
        chosen_loggers("wandb")
    assert err.value.param == "loggers"
