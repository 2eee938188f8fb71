"""Training and encoding throughput on a CUDA GPU, with the CPU figure beside it.

Prints training steps/s of the shapes conv beta-VAE at batch 64 (target on an
H100: 1,000 steps/s or more) from the full shapes set held on the GPU as bool,
and encoding items/s over the full set. The full set is rendered once into
``LATENTLAB_HOME`` (about 12 s and 3 GB of disk); ``--subset N`` uses a
rendered subset of N images instead. The CPU reference trains the same model,
and the digits MLP VAE, on a small subset for a few seconds.

Run: ``python benchmarks/gpu_bench.py [--subset N] [--steps N] [--cpu-only]``.
"""

from __future__ import annotations

import argparse
import os
import time


def train_rate(dataset, model: str, params: dict, batch: int, steps: int, device: str, warmup: int = 20) -> float:
    """Training steps/s of ``model`` on ``dataset``, after ``warmup`` steps (start-up, cuDNN autotuning)."""
    import torch

    from latentlab.models import build_model, make_config
    from latentlab.training.trainer import TrainConfig, Trainer

    likelihood = "bernoulli" if dataset.kind == "image" else "gaussian"
    torch.manual_seed(0)
    net = build_model(model, make_config(model, dataset.item_shape, likelihood, **params))
    Trainer(net, dataset, TrainConfig(steps=warmup, batch_size=batch, device=device, log_every=100)).run()
    tr = Trainer(net, dataset, TrainConfig(steps=steps, batch_size=batch, device=device, log_every=100))
    if device == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    tr.run()  # ends with a host check of the loss, so all queued work is done
    if device == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t)


def cpu_figures(seconds: float = 4.0) -> None:
    import torch

    from latentlab.data import load_dataset
    from latentlab.data.shapes import load_shapes_subset

    shapes = load_shapes_subset(2000)
    digits = load_dataset("digits")
    conv_probe = train_rate(shapes, "beta-vae", {"latent_dim": 10}, 64, 5, "cpu", warmup=3)
    conv = train_rate(shapes, "beta-vae", {"latent_dim": 10}, 64, max(10, int(conv_probe * seconds)), "cpu", warmup=3)
    mlp_probe = train_rate(digits, "vae", {"latent_dim": 8}, 64, 50, "cpu")
    mlp = train_rate(digits, "vae", {"latent_dim": 8}, 64, max(100, int(mlp_probe * seconds)), "cpu")
    print(f"CPU ({os.cpu_count()} cores, torch threads: {torch.get_num_threads()})")
    print(f"  training, shapes conv beta-VAE, batch 64 (2,000-image subset): {conv:10,.1f} steps/s")
    print(f"  training, digits MLP VAE, batch 64:                            {mlp:10,.1f} steps/s")


def gpu_figures(subset: int | None, steps: int) -> None:
    import numpy as np
    import torch

    from latentlab.data.shapes import load_shapes_full, load_shapes_subset
    from latentlab.analysis.embedding import encode_dataset
    from latentlab.models import build_model, make_config

    t = time.perf_counter()
    ds = load_shapes_subset(subset) if subset else load_shapes_full()
    loaded = time.perf_counter() - t
    print(f"GPU: {torch.cuda.get_device_name()} (torch {torch.__version__})")
    print(f"  data: {ds.name}, {len(ds):,} images of {ds.item_shape} {ds.x.dtype} "
          f"({ds.x.nbytes / 1e9:.2f} GB), ready in {loaded:.1f} s")
    rate = train_rate(ds, "beta-vae", {"latent_dim": 10}, 64, steps, "cuda", warmup=50)
    verdict = "meets" if rate >= 1000 else "below"
    print(f"  training, shapes conv beta-VAE, batch 64: {rate:10,.0f} steps/s  ({verdict} the 1,000 steps/s target; "
          f"{rate * 64:,.0f} samples/s)")

    torch.manual_seed(0)
    net = build_model("beta-vae", make_config("beta-vae", ds.item_shape, "bernoulli", latent_dim=10))
    encode_dataset(net, ds.subset(np.arange(min(len(ds), 10_000))), device="cuda")  # warm-up
    torch.cuda.synchronize()
    t = time.perf_counter()
    encode_dataset(net, ds, device="cuda")
    seconds = time.perf_counter() - t
    print(f"  encoding the whole set (encode_dataset): {len(ds) / seconds:10,.0f} items/s  ({seconds:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=None, help="use a rendered subset of N shapes, not the full set")
    parser.add_argument("--steps", type=int, default=3000, help="timed training steps on the GPU")
    parser.add_argument("--cpu-only", action="store_true", help="print the CPU reference only")
    args = parser.parse_args()

    import torch

    if args.cpu_only:
        pass
    elif not torch.cuda.is_available():
        print("GPU figures skipped: no CUDA GPU is available here (torch "
              f"{torch.__version__}, built {'with' if torch.version.cuda else 'without'} CUDA).")
    else:
        gpu_figures(args.subset, args.steps)
    cpu_figures()


if __name__ == "__main__":
    main()
