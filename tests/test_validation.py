"""One validation path: a model config is checked the same way when it is made (command line, Python
API) as when a checkpoint's manifest is read, so whatever trains can be loaded again."""

import dataclasses
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from latentlab.cli import main
from latentlab.core.errors import LatentLabError
from latentlab.models import MODELS, make_config, model_class
from latentlab.models.validation import check_config

EXTREME = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([0, -1, 1, 2, 512, 600, 1024, 1025, 10**9, 0.5, -0.0, float("nan"), float("inf")]),
)
HIDDEN = st.one_of(st.text(max_size=12), st.sampled_from(["-5", "0", "64,32", "100000000", "1," * 20, "a,b", ""]))


@pytest.mark.parametrize("name", list(MODELS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_settings_are_refused_in_a_sentence_or_survive_a_manifest_round_trip(name, data):
    cls = model_class(name).config_cls
    overrides = {}
    for f in cls.user_fields():
        if f.name in ("input_shape", "likelihood") or not data.draw(st.booleans()):
            continue
        if f.name == "hidden":
            overrides[f.name] = data.draw(HIDDEN)
        elif "choices" in f.metadata:
            overrides[f.name] = data.draw(st.sampled_from([*f.metadata["choices"], "nonsense"]))
        elif isinstance(f.default, (int, float)) and not isinstance(f.default, bool):
            overrides[f.name] = data.draw(EXTREME)
    try:
        config = make_config(name, (1, 8, 8), "bernoulli", **overrides)
    except LatentLabError as exc:
        text = str(exc)
        assert text.startswith(f"Model '{name}'") and "\n" not in text
        return
    # Accepted when made, so accepted when a checkpoint holding it is read back.
    assert check_config(cls, config.to_dict(), "manifest") == config
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        assert not (isinstance(value, float) and not math.isfinite(value))


@pytest.mark.parametrize("args, phrase", [
    (["--model", "beta-vae", "--beta", "-3"], "beta = -3.0 is outside the allowed range"),
    (["--model", "vae", "--hidden=-5"], "hidden sizes '-5' are outside"),
    (["--model", "vae", "--latent-dim", "2000"], "latent_dim = 2000 is outside the allowed range 1..1024"),
    (["--model", "beta-tcvae", "--gamma", "nan"], "gamma must be a finite number"),
])
def test_bad_settings_fail_before_training_and_save_nothing(workspace, capsys, args, phrase):
    from latentlab.checkpoints.format import list_checkpoints

    before = list_checkpoints()
    code = main(["train", "--dataset", "digits", "--steps", "1", "--name", "refused", *args])
    err = capsys.readouterr().err
    assert code == 2 and phrase in err and err.count("\n") == 1 and "internal error" not in err, err
    assert list_checkpoints() == before


def test_the_latent_limit_is_the_bound_and_what_trains_loads(workspace, monkeypatch, capsys):
    from latentlab.checkpoints.format import read_checkpoint

    assert main(["train", "--dataset", "digits", "--model", "ae", "--latent-dim", "600", "--steps", "1", "--name", "wide"]) == 0
    assert read_checkpoint("wide").latent_dim == 600
    monkeypatch.setenv("LATENTLAB_LIMIT_MAX_LATENT_DIM", "2048")
    assert make_config("ae", (64,), "gaussian", latent_dim=2000).latent_dim == 2000


def _methods():
    from latentlab.analysis.clustering import CLUSTERERS
    from latentlab.analysis.projection import PROJECTORS

    return [("projector", n, c) for n, c in PROJECTORS.items()] + [("clusterer", n, c) for n, c in CLUSTERERS.items()]


@pytest.mark.parametrize("kind, name, cls", _methods(), ids=lambda v: v if isinstance(v, str) else "")
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_method_parameters_are_checked_against_their_declared_ranges(kind, name, cls, data):
    from latentlab.analysis.projection.base import check_params

    given_ = {}
    for p in cls.PARAMS:
        if data.draw(st.booleans()):
            given_[p.name] = data.draw(st.sampled_from([*p.choices, "nonsense"]) if p.choices else EXTREME)
    try:
        checked = check_params(cls.PARAMS, given_, name)
    except LatentLabError as exc:
        assert "\n" not in str(exc)
        return
    for p in cls.PARAMS:
        if p.name in checked and not p.choices:
            assert (p.low is None or checked[p.name] >= p.low) and (p.high is None or checked[p.name] <= p.high)


@pytest.mark.parametrize("command, phrase", [
    (["project", "digits-vae", "--method", "umap", "--param", "n_neighbors=1"], "n_neighbors = 1 is outside its range"),
    (["project", "digits-vae", "--method", "umap", "--param", "min_dist=nan"], "min_dist must be a finite number"),
    (["cluster", "digits-vae", "--method", "hdbscan", "--param", "min_cluster_size=0"], "min_cluster_size = 0 is outside"),
    (["cluster", "digits-vae", "--method", "gmm", "--param", "covariance=round"], "covariance must be one of"),
])
def test_out_of_range_method_parameters_fail_in_one_sentence(workspace, tmp_path, capsys, command, phrase):
    code = main([*command, "--out", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert code == 2 and phrase in err and err.count("\n") == 1, err


def test_the_command_lines_methods_come_from_the_registries(monkeypatch):
    from latentlab.analysis import clustering, projection
    from latentlab.cli import build_parser

    def choices(command):
        sub = next(a for a in build_parser()._subparsers._group_actions if a.choices and command in a.choices)
        return next(a.choices for a in sub.choices[command]._actions if a.dest == "method")

    assert list(choices("project")) == list(projection.PROJECTORS)
    monkeypatch.setitem(clustering.CLUSTERERS, "another", clustering.CLUSTERERS["kmeans"])
    assert "another" in choices("cluster")  # a newly registered method is offered at once
