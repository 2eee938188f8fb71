"""The CLI loop, step by step, and training throughput (see README.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time


def run(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "latentlab", *cmd], env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def cli_loop() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LATENTLAB_HOME": home}
        out = lambda name: os.path.join(home, name)  # noqa: E731
        steps = [
            ("train", ["train", "--dataset", "digits", "--model", "vae", "--epochs", "5", "--name", "bench", "--json"]),
            ("embed", ["embed", "bench", "--out", out("e.npz")]),
            ("project (umap)", ["project", "bench", "--method", "umap", "--out", out("p.csv")]),
            ("cluster (kmeans)", ["cluster", "bench", "--method", "kmeans", "--k", "10", "--out", out("c.csv")]),
            ("traverse", ["traverse", "bench", "--index", "0", "--out", out("t.png")]),
            ("interpolate", ["interpolate", "bench", "--from", "0", "--to", "1", "--out", out("i.png")]),
        ]
        times = [(name, run(cmd, env)) for name, cmd in steps]
        idle = run(["datasets"], env)
    total = sum(t for _, t in times)
    print(f"CLI loop on digits ({os.cpu_count()} CPUs)")
    for name, t in times:
        print(f"  {name:<18} {t:6.2f} s  {t / total:5.1%} of the loop")
    print(f"  {'total':<18} {total:6.2f} s   (a bare 'latentlab datasets' call: {idle:.2f} s of start-up)")


def throughput(dataset: str, model: str, params: dict, batch: int, steps: int, device: str) -> float:
    import torch

    import latentlab as ll
    from latentlab.models import build_model, make_config
    from latentlab.training.trainer import TrainConfig, Trainer

    ds = ll.load_dataset(dataset)
    net = build_model(model, make_config(model, ds.item_shape, "bernoulli", **params))
    Trainer(net, ds, TrainConfig(steps=5, batch_size=batch, device=device)).run()  # warm-up
    tr = Trainer(net, ds, TrainConfig(steps=steps, batch_size=batch, device=device))
    if device == "cuda":
        torch.cuda.synchronize()
    st = tr.run()
    return st.samples_per_s


def main() -> None:
    import torch

    cli_loop()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        mlp = throughput("digits", "vae", {"latent_dim": 8}, 128, 300, device)
        conv = throughput("shapes-5000", "beta-vae", {"latent_dim": 10}, 64, 60 if device == "cpu" else 600, device)
        print(f"Training throughput on {device} (torch threads: {torch.get_num_threads()})")
        print(f"  digits MLP VAE, batch 128:        {mlp:10,.0f} samples/s")
        print(f"  shapes conv beta-VAE, batch 64:   {conv:10,.0f} samples/s  ({conv / mlp:.3f}x the MLP)")


if __name__ == "__main__":
    main()
