"""``latentlab admin ...``: a lab server's people, run by its administrator on the server's workspace.

``admin users`` lists everyone who has signed in (their folder's key, name, issuer and subject, stored bytes,
jobs by state); ``admin jobs`` every person's jobs; ``admin publish KEY datasets|checkpoints NAME`` copies a
person's dataset or checkpoint into the shared, read-only library that everyone sees. The rest of the command
line stays a single person's tool on ``LATENTLAB_HOME`` itself.
"""

from __future__ import annotations


def _size(n: int) -> str:
    return f"{n / 1024**2:.1f} MB"


def cmd_users(args) -> None:
    from latentlab.cli.output import emit, table
    from latentlab.core import people

    from latentlab.jobs import owners

    rows = [owners.usage(p) for p in people.known_people()]
    view = [{**r, "key": r["key"][:12], "stored": _size(r["bytes"]),
             "jobs": ", ".join(f"{n} {s}" for s, n in sorted(r["jobs"].items())) or "none"} for r in rows]
    text = table(view, ["key", "name", "issuer", "subject", "stored", "jobs"]) if rows else "No one has signed in yet."
    emit(args, rows, text)


def cmd_jobs(args) -> None:
    from latentlab.cli.output import emit, table
    from latentlab.core import people

    from latentlab.jobs import owners

    rows = [{"person": p.key, "name": p.name, **j.to_dict()} for p in people.known_people() for j in owners.jobs_of(p)]
    view = [{**r, "person": r["person"][:12], "progress": f"{r['step']}/{r['total']}"} for r in rows]
    emit(args, rows, table(view, ["person", "name", "id", "kind", "state", "progress"]) if rows else "No jobs.")


def cmd_publish(args) -> None:
    from latentlab.cli.output import emit
    from latentlab.core import library, people

    person = people.find(args.person)
    files = library.publish(person.root, args.kind, args.name)
    emit(args, {"published": [str(f) for f in files]},
         f"{args.name} is in the library ({len(files)} files); everyone sees it at their next sign-in.")


def cmd_library(args) -> None:
    from latentlab.cli.output import emit
    from latentlab.core import library

    items = library.published()
    emit(args, items, "\n".join(f"{kind}: {', '.join(names) or '(none)'}" for kind, names in items.items()))


def register(add, sub) -> None:
    p = add("admin", None, "a lab server's people: users and their usage, all jobs, publishing to the library",
            json_flag=False)
    cmds = p.add_subparsers(dest="admin_command", required=True)

    def add_cmd(name, func, help_text):
        c = cmds.add_parser(name, help=help_text, description=help_text)
        c.set_defaults(func=func)
        c.add_argument("--json", action="store_true", help="print JSON")
        return c

    add_cmd("users", cmd_users, "everyone who has signed in, their stored bytes and jobs")
    add_cmd("jobs", cmd_jobs, "every person's jobs")
    add_cmd("library", cmd_library, "what the library holds")
    c = add_cmd("publish", cmd_publish, "copy a person's dataset or checkpoint into the library everyone sees")
    c.add_argument("person", help="the person's key (its first characters), subject or name, from 'admin users'")
    c.add_argument("kind", choices=("datasets", "checkpoints"))
    c.add_argument("name")
