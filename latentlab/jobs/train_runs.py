"""A training job's run, prepared once for both places it runs: this machine's worker (``worker.run_train``) and a
Ray task (``ray_tasks.train_run``). A job whose checkpoint exists (a resumed job, or Ray retrying a run after its
node died) continues from its last periodic checkpoint; a run that saves no checkpoints by itself saves one every
twentieth of the run (at least every 50 steps), so that a stopped job can resume.
"""

from __future__ import annotations

from dataclasses import dataclass


def default_checkpoint_every(total: int) -> int:
    return max(50, total // 20)


@dataclass
class PreparedRun:
    """What ``lab.train`` is called with for a job: its settings, checkpoint name, and where it resumes."""

    params: dict  # the job's parameters (dataset, model, model_params, train_config, name)
    config: object  # TrainConfig
    name: str
    resume: str | None  # the checkpoint to continue, when one exists
    resumed_from: int  # its step (0 for a fresh run)

    def run(self, callbacks) -> str:
        """Train (or continue) the run with ``callbacks``; returns the checkpoint's name."""
        from latentlab import lab

        p = self.params
        lab.train(p["dataset"], p["model"], p.get("model_params"), self.config, name=self.name, callbacks=callbacks,
                  resume=self.resume)
        return self.name


def prepare_run(params: dict) -> PreparedRun:
    """The run a training job's ``params`` ask for, resuming its checkpoint when there is one."""
    from latentlab.checkpoints.manifests import read_manifest, user_checkpoints_dir
    from latentlab.checkpoints.resolve import as_dataset
    from latentlab.training.trainer import TrainConfig

    cfg = TrainConfig(**params["train_config"])
    name = params["name"]
    manifest = user_checkpoints_dir() / f"{name}.json"
    resume = name if manifest.exists() else None
    if cfg.checkpoint_every <= 0:
        cfg.checkpoint_every = default_checkpoint_every(cfg.total_steps(len(as_dataset(params["dataset"]))))
    step = int(read_manifest(manifest).get("step", 0)) if resume else 0
    return PreparedRun(params, cfg, name, resume, step)
