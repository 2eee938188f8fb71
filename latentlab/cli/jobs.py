"""``latentlab jobs ...`` and ``latentlab sweep``: the job system on the command line."""

from __future__ import annotations

import datetime as dt

from latentlab.cli.executor_flags import add_executor_flags, executor_from_args
from latentlab.cli.follow import follow
from latentlab.core.errors import LatentLabError
from latentlab.jobs.executor import describe


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def cmd_list(args) -> None:
    from latentlab import jobs
    from latentlab.cli.output import emit, table

    rows = [j.to_dict() for j in jobs.list_jobs()]
    view = [{**r, "progress": f"{r['step']}/{r['total']}", "created": _when(r["created"]),
             "loss": r["terms"].get("loss")} for r in rows]
    columns = ["id", "kind", "name", "state", "progress", "loss", "created"]
    if any(r["executor"] for r in rows):  # jobs sent to a Ray cluster: where each runs
        columns += ["node", "ray_task"]
    emit(args, rows, table(view, columns))


def cmd_show(args) -> None:
    from latentlab import jobs
    from latentlab.cli.output import emit

    job = jobs.get(args.id)
    d = job.to_dict()
    d["history_rows"] = len(jobs.history(job.id))
    d["progress_text"], d["rate"], d["eta_s"] = job.progress_text(), job.rate, job.eta_s
    lines = [f"job {job.id} ({job.kind}) {job.name or ''}", f"state: {job.state}", f"progress: {job.progress_text()}",
             f"pid: {job.pid}", f"checkpoint: {d['checkpoint']}", f"error: {job.error or ''}",
             "terms: " + ", ".join(f"{k}={v:.4g}" for k, v in job.terms.items())]
    if job.resumed_from is not None:
        lines.append(f"resumed from step {job.resumed_from}")
    if job.executor:
        lines += [f"runs on: {describe(job.executor)}, {job.executor.cpus:g} CPU and {job.executor.gpus:g} GPU "
                  "per run", f"ray task: {job.ray_task or ''}", f"node: {job.node or ''}", f"tries: {job.attempts}"]
    emit(args, d, "\n".join(lines))


def cmd_cancel(args) -> None:
    from latentlab import jobs
    from latentlab.cli.output import emit

    job = jobs.cancel(args.id)
    emit(args, job.to_dict(), f"job {job.id}: cancel requested ({job.state})")


def cmd_resume(args) -> None:
    from latentlab import jobs
    from latentlab.cli.output import emit

    job = jobs.resume(args.id)
    emit(args, job.to_dict(), f"job {job.id} queued again; it continues from its last checkpoint")


def cmd_wait(args) -> None:
    from latentlab import jobs
    from latentlab.cli.output import emit

    job = follow(args.id, args.timeout, disable=args.json)
    emit(args, job.to_dict(), f"job {job.id}: {job.state}" + (f" ({job.error})" if job.error else ""))
    if job.state not in jobs.FINISHED:
        raise LatentLabError(f"Job {job.id} is still {job.state} after {args.timeout:.0f} s.")


def cmd_sweep(args) -> None:
    from latentlab import jobs
    from latentlab.cli.output import emit
    from latentlab.cli.train import model_params, train_config

    executor = executor_from_args(args)
    sweep, ids = jobs.submit_sweep(args.dataset, args.model, jobs.parse_grid(args.grid), model_params(args),
                                   train_config(args), name=args.name, executor=executor)
    where = f" to {describe(executor)}" if executor else ""
    emit(args, {"sweep": sweep, "jobs": ids}, f"sweep {sweep}: submitted jobs {', '.join(map(str, ids))}{where}")


def register(add, sub) -> None:
    p = sub.add_parser("jobs", help="list, show, cancel, resume or wait for background jobs")
    jsub = p.add_subparsers(dest="jobs_command", required=True)

    def jadd(name, func, help_text):
        q = jsub.add_parser(name, help=help_text, description=help_text)
        q.set_defaults(func=func)
        q.add_argument("--json", action="store_true")
        return q

    jadd("list", cmd_list, "list jobs, newest first")
    for name, func, text in (("show", cmd_show, "show one job"), ("cancel", cmd_cancel, "cancel a job"),
                             ("resume", cmd_resume, "resume an interrupted, failed or cancelled training job")):
        jadd(name, func, text).add_argument("id", type=int)
    q = jadd("wait", cmd_wait, "wait until a job ends")
    q.add_argument("id", type=int)
    q.add_argument("--timeout", type=float, default=3600.0)

    from latentlab.cli.train import add_train_flags

    s = add("sweep", cmd_sweep, "submit one training job per point of a hyperparameter grid")
    add_train_flags(s)
    s.add_argument("--grid", action="append", required=True, metavar="NAME=V1,V2", help="e.g. beta=1,4,8 (one or two)")
    s.add_argument("--name", help="sweep name")
    add_executor_flags(s)
