"""The command line answers at once: parsing, every ``--help`` and the commands that only read the workspace
(``jobs``, ``datasets``, ``checkpoints``) import no torch, and the catalog they read the registries' names from
holds exactly what the registries hold."""

import argparse
import json
import os
import subprocess
import sys

import pytest

from latentlab.cli import build_parser
from latentlab.core import catalog

# Runs each command line of argv's JSON list in this one fresh interpreter, in turn, and prints per command whether
# torch (or the facade) had been imported by the time it returned: the first True names the command that did it.
PROBE = """
import contextlib, io, json, sys
from latentlab.cli import main
seen = []
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # --help exits 0 after printing
            code = exc.code
    seen.append([" ".join(argv), code, "torch" in sys.modules, "latentlab.lab" in sys.modules])
print(json.dumps(seen))
"""


def command_paths() -> list[list[str]]:
    """Every command and subcommand of the parser (``[]`` for the top level), walked from the parser itself."""
    def walk(parser, path):
        yield path
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, [*path, name])

    return list(walk(build_parser(), []))


def probe(argvs: list[list[str]], home) -> list[list]:
    env = {**os.environ, "LATENTLAB_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argvs)], capture_output=True, text=True, env=env,
                         timeout=120, check=True).stdout
    return json.loads(out)


def test_every_help_imports_no_torch(tmp_path):
    paths = command_paths()
    assert ["train"] in paths and ["jobs", "list"] in paths and ["checkpoints", "add"] in paths
    seen = probe([[*path, "--help"] for path in paths], tmp_path)
    assert [row[1] for row in seen] == [0] * len(paths)
    heavy = [row[0] for row in seen if row[2] or row[3]]
    assert heavy == [], f"imported torch or latentlab.lab: {heavy[0]!r} first"


@pytest.mark.parametrize("argv", [["jobs", "list"], ["jobs", "list", "--json"], ["datasets"], ["checkpoints"],
                                  ["checkpoints", "--json"], ["jobs", "show", "1"]])
def test_reading_commands_import_no_torch(tmp_path, argv):
    [(_, code, torch_loaded, facade_loaded)] = probe([argv], tmp_path)
    assert code == (2 if argv[:2] == ["jobs", "show"] else 0)  # no job 1 in an empty workspace: a one-line error
    assert not torch_loaded and not facade_loaded


def test_checkpoints_lists_the_shipped_ones_without_torch(tmp_path):
    code = ("import json, sys; from latentlab.checkpoints.manifests import list_checkpoints; "
            "print(json.dumps([[r['name'] for r in list_checkpoints()], 'torch' in sys.modules]))")
    env = {**os.environ, "LATENTLAB_HOME": str(tmp_path)}
    names, torch_loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                    env=env, check=True).stdout)
    from latentlab.checkpoints.format import list_checkpoints

    assert names == [r["name"] for r in list_checkpoints()] and names  # the shipped checkpoints, the same listing
    assert not torch_loaded


def test_catalog_is_the_registries():
    from latentlab.analysis.clustering import CLUSTERERS
    from latentlab.analysis.metrics import METRICS, factor_free_names
    from latentlab.analysis.projection import PROJECTORS
    from latentlab.models import MODELS

    for registry, table in ((MODELS, catalog.MODELS), (PROJECTORS, catalog.PROJECTORS),
                            (CLUSTERERS, catalog.CLUSTERERS), (METRICS, catalog.METRICS)):
        assert list(table.items()) == list(catalog.listing(registry).items()), registry.family  # names, order, homes, words
    assert catalog.factor_free_metrics() == factor_free_names()


def test_catalog_holds_the_flags_the_engine_declares():
    from latentlab.analysis.clustering.cluster_rules import SPACES
    from latentlab.analysis.clustering.polyhedra import DEFAULT_HALFSPACES
    from latentlab.analysis.sae_features import RANKINGS
    from latentlab.cli.train import model_flags
    from latentlab.models import MODELS

    assert list(MODELS)  # the models imported: their config classes give the flags
    assert list(catalog.MODEL_FLAGS.items()) == list(model_flags().items())
    assert catalog.FEATURE_RANKINGS == {name: r.title for name, r in RANKINGS.items()}
    assert catalog.RULE_SPACES == tuple(SPACES) and catalog.DEFAULT_HALFSPACES == DEFAULT_HALFSPACES

