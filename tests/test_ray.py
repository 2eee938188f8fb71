"""Jobs on a Ray cluster: a local cluster of two nodes (``ray.cluster_utils.Cluster``), started once for this module.

A sweep runs as Ray tasks on both nodes and the job table on this machine records them; a sharded embedding equals
the local one; cancel stops a run; a node killed mid-run has its run resumed from its periodic checkpoint; an
unreachable address and a missing extra each give one sentence. Skipped when Ray is not installed.
"""

import contextlib
import os
import signal
import sys
import time

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from ray.cluster_utils import Cluster  # noqa: E402

from latentlab import jobs  # noqa: E402
from latentlab.core.errors import LatentLabError  # noqa: E402
from latentlab.checkpoints.format import read_checkpoint  # noqa: E402
from latentlab.training.trainer import TrainConfig  # noqa: E402

pytestmark = pytest.mark.slow

NODE = {"num_cpus": 1, "object_store_memory": 80 * 1024 ** 2}
TINY = {"latent_dim": 2, "hidden": "16"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head and a worker node of one CPU each, a workspace shared by the module's tests, and this process
    connected (for the workspace check and to see the cluster's state)."""
    home = tmp_path_factory.mktemp("ray-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LATENTLAB_HOME", str(home))
        mp.setenv("OMP_NUM_THREADS", "1")
        # The cluster's workers import latentlab by name: this checkout, whether or not it is installed.
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (os.getcwd(), os.environ.get("PYTHONPATH")) if p))
        c = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
        worker = c.add_node(**NODE)
        c.wait_for_nodes()
        ray.init(address=c.address, log_to_driver=False)
        try:
            yield c, worker, home
        finally:
            drivers = {j.pid for j in jobs.list_jobs() if j.executor and j.pid}
            for pid in drivers:  # the drivers this module started
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            ray.shutdown()
            c.shutdown()


@pytest.fixture(scope="module")
def spec(cluster):
    from latentlab.jobs.executor import resolve_executor

    return resolve_executor("ray", cluster[0].address, cpus_per_run=1)


def wait_for(predicate, timeout=90.0, poll=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError("condition not met in time")


def spec_of(address: str) -> dict:
    return {"kind": "ray", "address": address, "cpus": 1.0, "gpus": 0.0}


def node_ids(cluster) -> set[str]:
    return {n["NodeID"] for n in ray.nodes() if n["Alive"]}


def test_a_sweep_runs_as_ray_tasks_on_both_nodes_and_the_job_table_records_them(cluster, spec):
    cfg = TrainConfig(steps=60, batch_size=64, checkpoint_every=20)
    sweep, ids = jobs.submit_sweep("digits", "vae", {"seed": [0, 1, 2, 3]}, TINY, cfg, name="ray-sweep",
                                   executor=spec)
    ended = [jobs.wait(i, timeout=120) for i in ids]
    assert [j.state for j in ended] == ["succeeded"] * 4, [j.error for j in ended]
    assert len({j.ray_task for j in ended}) == 4 and all(len(j.ray_task) >= 16 for j in ended)
    nodes = {j.node for j in ended}
    assert len(nodes) == 2  # both nodes ran runs
    assert {n.split("(")[1].rstrip(")") for n in nodes} <= {i[:12] for i in node_ids(cluster)}
    for job in ended:
        assert job.step == job.total == 60 and job.executor["address"] == spec["address"]
        assert job.terms["loss"] > 0 and [h["step"] for h in jobs.history(job.id)][-1] == 60  # streamed back
        ck = read_checkpoint(job.params["name"])
        assert ck.manifest["step"] == 60 and ck.model.config.latent_dim == 2
    seeds = [read_checkpoint(j.params["name"]).manifest["training"]["seed"] for j in ended]
    assert sorted(seeds) == [0, 1, 2, 3]


def test_the_command_line_trains_on_ray_and_lists_where_jobs_ran(cluster, spec, capsys):
    from latentlab.cli import main

    assert main(["train", "--dataset", "wine", "--model", "ae", "--latent-dim", "2", "--steps", "30",
                 "--name", "ray-cli", "--executor", "ray", "--ray-address", spec["address"], "--json"]) == 0
    assert read_checkpoint("ray-cli").manifest["step"] == 30
    capsys.readouterr()
    assert main(["jobs", "list"]) == 0
    listing = capsys.readouterr().out
    header = listing.splitlines()[0].split()
    assert header[-2:] == ["node", "ray_task"] and "ray-cli" in listing
    job = next(j for j in jobs.list_jobs() if j.name == "ray-cli")
    assert main(["jobs", "show", str(job.id)]) == 0
    shown = capsys.readouterr().out
    assert f"runs on: Ray at {spec['address']}, 1 CPU and 0 GPU per run" in shown and f"ray task: {job.ray_task}" in shown


def test_the_train_page_offers_the_cluster_and_queues_a_run_there(cluster, spec, monkeypatch):
    from tests.apptest import open_page, start_dashboard

    monkeypatch.setenv("LATENTLAB_RAY_ADDRESS", spec["address"])
    app = open_page(start_dashboard(monkeypatch), "pages/train.py")
    assert app.radio(key="tr-where").value == "Ray cluster"
    app.selectbox(key="tr-dataset").set_value("wine").run()
    app.radio(key="tr-unit").set_value("steps").run()
    app.number_input(key="tr-length-steps").set_value(20)
    app.text_input(key="tr-name").set_value("ray-page")
    next(b for b in app.button if b.label == "Start training").click().run()
    assert not app.exception and not app.error
    assert any(f"on Ray at {spec['address']}" in s.value for s in app.success)
    job = next(j for j in jobs.list_jobs() if j.name == "ray-page")
    assert job.executor == {**spec, "cpus": 1.0, "gpus": 0.0}
    assert jobs.wait(job.id, timeout=120).state == "succeeded"
    app.run()
    table = app.dataframe[0].value
    assert table.loc[table["name"] == "ray-page", "ray task"].item() == jobs.get(job.id).ray_task


def test_a_sharded_embedding_equals_the_local_one_under_the_same_cache_key(cluster, spec):
    import latentlab as ll
    from latentlab.analysis.embedding import embedding_key, encode_dataset
    from latentlab.core.array_cache import cache_file

    ll.train("digits", "vae", TINY, TrainConfig(steps=30, batch_size=64), name="ray-embedded")
    ck, ds = ll.load_checkpoint("ray-embedded"), ll.load_dataset("digits")
    job_id = jobs.submit("embed", {"checkpoint": "ray-embedded", "dataset": None, "shard_items": 512},
                         executor=spec)
    job = jobs.wait(job_id, timeout=120)
    assert job.state == "succeeded", job.error
    assert job.step == job.total == len(ds) and job.unit == "items"
    assert cache_file("embed", embedding_key(ck.fingerprint, ds)).exists() and ll.embedding_ready("ray-embedded")
    local = encode_dataset(ck.model, ds)
    with np.load(cache_file("embed", embedding_key(ck.fingerprint, ds))) as z:
        for name in ("mean", "logvar", "kl", "recon_error"):
            assert np.array_equal(z[name], local[name]), name  # identical, not merely close
    assert not (cluster[2] / "cache" / "embed-shards" / embedding_key(ck.fingerprint, ds)).exists()


def test_an_encoding_the_dashboard_starts_goes_to_the_configured_cluster(cluster, spec, monkeypatch):
    import latentlab as ll
    from latentlab.analysis.embedding import embedding_key
    from latentlab.core.array_cache import cache_file
    from latentlab.ui import jobs as page_jobs

    ll.train("wine", "ae", TINY, TrainConfig(steps=20, batch_size=32), name="ray-page-embed")
    request = {"checkpoint": "ray-page-embed", "dataset": "wine"}
    monkeypatch.setenv("LATENTLAB_RUNNER_IDLE_S", "3")
    monkeypatch.setenv("LATENTLAB_RAY_ADDRESS", "127.0.0.1:9")  # a cluster that does not answer: this machine
    local = page_jobs._job_for("embed", request, "embed wine")
    assert local.executor is None and jobs.wait(local.id, timeout=60).state == "succeeded"
    ck = ll.load_checkpoint("ray-page-embed")
    cache_file("embed", embedding_key(ck.fingerprint, ll.load_dataset("wine"))).unlink()
    monkeypatch.setenv("LATENTLAB_RAY_ADDRESS", spec["address"])
    job = page_jobs._job_for("embed", request, "embed wine")
    assert job.executor == spec and jobs.wait(job.id, timeout=60).state == "succeeded"
    assert ll.embedding_ready("ray-page-embed", "wine")


def test_cancel_stops_a_ray_run_and_resume_continues_it(cluster, spec):
    cfg = TrainConfig(steps=1_000_000, batch_size=16, checkpoint_every=20)
    job_id = jobs.submit_train("digits", "vae", TINY, cfg, name="ray-long", executor=spec)
    wait_for(lambda: jobs.get(job_id).step > 40)
    jobs.cancel(job_id)
    job = wait_for(lambda: (j := jobs.get(job_id)).state in jobs.FINISHED and j, timeout=30)
    assert job.state == "cancelled" and job.error == "Cancelled by request."
    wait_for(lambda: ray.available_resources().get("CPU", 0) == 2, timeout=20)  # the task's CPU is free again
    rows = len(jobs.history(job_id))
    time.sleep(1.0)
    assert len(jobs.history(job_id)) == rows  # nothing trains any more

    saved = read_checkpoint("ray-long").manifest["step"]
    jobs.resume(job_id)  # back to the cluster, from the checkpoint
    job = wait_for(lambda: (j := jobs.get(job_id)).step > saved and j)
    assert job.state == "running" and job.resumed_from == saved > 0 and job.attempts == 2
    jobs.cancel(job_id)
    assert wait_for(lambda: (j := jobs.get(job_id)).state in jobs.FINISHED and j, timeout=30).state == "cancelled"


def test_every_node_must_see_the_workspace(cluster):
    from latentlab.jobs.ray_driver import check_workspace

    assert check_workspace(cluster[2]) == 2
    with pytest.raises(LatentLabError) as err:  # a node that reads another file at the same path (its own folder)
        check_workspace(cluster[2], token="written by another machine")
    message = str(err.value)
    assert message.count(". ") == 0 and message.startswith("Ray node ") and str(cluster[2]) in message


def test_an_unreachable_address_and_a_missing_extra_each_give_one_sentence(cluster, monkeypatch, capsys):
    from latentlab.cli import main
    from latentlab.jobs.executor import resolve_executor

    with pytest.raises(LatentLabError, match=r"^No Ray cluster answers at 127\.0\.0\.1:9;") as err:
        resolve_executor("ray", "127.0.0.1:9")
    assert "\n" not in str(err.value)
    assert main(["sweep", "--dataset", "digits", "--model", "vae", "--grid", "seed=0,1", "--executor", "ray",
                 "--ray-address", "127.0.0.1:9"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    from latentlab.jobs import store

    gone = store.create("train", {"name": "ray-gone"}, executor=spec_of("127.0.0.1:9"))
    store.transition(gone, ("queued",), state="interrupted")
    with pytest.raises(LatentLabError, match=r"^No Ray cluster answers at 127\.0\.0\.1:9;"):
        jobs.resume(gone)  # refused at once; the job stays as it was
    assert jobs.get(gone).state == "interrupted"

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    with pytest.raises(LatentLabError) as err:
        resolve_executor("ray", cluster[0].address)
    assert str(err.value).endswith('install it with pip install "latentlab[ray]".') and "\n" not in str(err.value)
    monkeypatch.setenv("LATENTLAB_RAY_ADDRESS", cluster[0].address)
    with pytest.raises(LatentLabError, match="latentlab\\[ray\\]"):
        resolve_executor()  # the environment asks for Ray
    monkeypatch.delenv("LATENTLAB_RAY_ADDRESS")
    assert resolve_executor() is None  # unset: this machine, Ray not needed


def test_a_run_whose_node_dies_resumes_from_its_periodic_checkpoint(cluster, spec):
    """Last in the module: it removes the worker node."""
    c, worker, _ = cluster
    cfg = TrainConfig(steps=1500, batch_size=32, checkpoint_every=100)
    sweep, ids = jobs.submit_sweep("digits", "vae", {"seed": [0, 1]}, TINY, cfg, name="ray-kill", executor=spec)
    on_worker = worker.node_id[:12]

    def victim():
        for j in map(jobs.get, ids):
            if j.node and on_worker in j.node and j.step >= 250:
                return j
        return None

    job = wait_for(victim, timeout=120)
    saved = read_checkpoint(job.params["name"]).manifest["step"]
    assert saved >= 100
    c.remove_node(worker)
    ended = [jobs.wait(i, timeout=180) for i in ids]
    assert [j.state for j in ended] == ["succeeded", "succeeded"], [j.error for j in ended]
    job = jobs.get(job.id)
    assert job.attempts == 2 and job.resumed_from is not None and job.resumed_from >= saved > 0  # not from step 0
    assert on_worker not in job.node  # it finished on the head
    assert read_checkpoint(job.params["name"]).manifest["step"] == 1500 and job.step == 1500
    steps = [h["step"] for h in jobs.history(job.id)]
    assert steps == sorted(steps) and steps[0] < job.resumed_from and steps[-1] == 1500
