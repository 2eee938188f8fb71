"""Whose jobs: on a server with sign-in each person's jobs live in their own workspace's job table (and run
as them: the runner of that workspace starts them with it as ``LATENTLAB_HOME``). These read and stop them
across people, for the administrator and for the server's start."""

from __future__ import annotations

import time

from latentlab.core.people import Person, ServerRules, known_people
from latentlab.core.quotas import usage_bytes
from latentlab.core.workspace import using
from latentlab.jobs import store


def jobs_of(person: Person, states: tuple[str, ...] | None = None) -> list:
    """A person's jobs, read from their own job table."""
    if not (person.root / "jobs.sqlite").exists():
        return []
    with using(person.root):
        return store.list_jobs(states)


def usage(person: Person) -> dict:
    """A person's row in the administrator's listing: who, their folder's bytes, their jobs by state."""
    counts: dict[str, int] = {}
    for job in jobs_of(person):
        counts[job.state] = counts.get(job.state, 0) + 1
    return {"key": person.key, "name": person.name, "issuer": person.issuer, "subject": person.subject,
            "bytes": usage_bytes(person.root), "jobs": counts}


def retire_removed(rules: ServerRules) -> list[str]:
    """Cancel the queued and running jobs of everyone the rules no longer admit (their files stay, for the
    administrator to keep or delete); returns their keys."""
    retired = []
    for person in known_people():
        if rules.admits(person):
            continue
        active = jobs_of(person, ("queued", "running"))
        with using(person.root):
            for job in active:
                store.update(job.id, cancel_requested=1)
                store.transition(job.id, ("queued",), state="cancelled", finished=time.time(),
                                 error="Cancelled: its owner no longer has access to this server.")
        if active:
            retired.append(person.key)
    return retired
