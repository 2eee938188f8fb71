"""The people of a server with sign-in: who they are, the server's rules about them, their folders.

A person is the pair (issuer, subject) of their identity token; their workspace is
``$LATENTLAB_HOME/people/KEY`` (``workspace.person_key``), holding ``person.json`` (the two claims and the name
the provider gave, for the administrator's listing only) and the usual folders. The server's rules come from
the ``[latentlab]`` section of its secrets (``ServerRules.from_mapping``): the administrators and, when given,
the only people allowed in, each as ``{issuer = "...", subject = "..."}``, and the per-person limits
(``latentlab.core.quotas``).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from latentlab.core.errors import LatentLabError
from latentlab.core.quotas import Limits
from latentlab.core.workspace import PEOPLE, base, person_key, person_root, write_json_atomic

RECORD = "person.json"


@dataclass(frozen=True)
class Person:
    issuer: str
    subject: str
    name: str = ""  # what the provider calls them; shown to themselves and in the administrator's listing

    @property
    def key(self) -> str:
        return person_key(self.issuer, self.subject)

    @property
    def root(self) -> Path:
        return person_root(self.key)

    @classmethod
    def from_claims(cls, claims: dict) -> "Person":
        """The person an identity token's claims name; one sentence when the token lacks ``iss`` or ``sub``."""
        issuer, subject = claims.get("iss"), claims.get("sub")
        if not isinstance(issuer, str) or not isinstance(subject, str) or not issuer or not subject:
            raise LatentLabError("Your identity provider's token names no issuer and subject; ask this server's "
                                 "administrator to check its sign-in settings.")
        name = claims.get("name") or claims.get("preferred_username") or claims.get("email") or subject
        return cls(issuer, subject, str(name))


def _identities(entries, what: str) -> frozenset[tuple[str, str]]:
    found = set()
    for entry in entries or ():
        if not (hasattr(entry, "get") and isinstance(entry.get("issuer"), str) and isinstance(entry.get("subject"), str)):
            raise LatentLabError(f"Each of the server's {what} must be written {{issuer = \"...\", subject = \"...\"}}.")
        found.add((entry["issuer"], entry["subject"]))
    return frozenset(found)


@dataclass(frozen=True)
class ServerRules:
    """Who administers a server, who may use it (None: whoever the provider signs in), and the limits."""

    admins: frozenset[tuple[str, str]] = frozenset()
    allowed: frozenset[tuple[str, str]] | None = None
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_mapping(cls, section) -> "ServerRules":
        section = dict(section or {})
        allowed = section.get("people")
        return cls(admins=_identities(section.get("admins"), "admins"),
                   allowed=None if allowed is None else _identities(allowed, "people"),
                   limits=Limits.from_mapping(section))

    def is_admin(self, person: Person) -> bool:
        return (person.issuer, person.subject) in self.admins

    def admits(self, person: Person) -> bool:
        return self.allowed is None or self.is_admin(person) or (person.issuer, person.subject) in self.allowed


def record(person: Person) -> Path:
    """Create the person's folder on first sign-in and note when they were last seen; returns the folder."""
    root = person.root
    path = root / RECORD
    with contextlib.suppress(OSError, ValueError):
        known = json.loads(path.read_text())
        if time.time() - known.get("last_seen", 0) < 60:
            return root
    root.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"issuer": person.issuer, "subject": person.subject, "name": person.name,
                             "last_seen": time.time()})
    return root


def known_people() -> list[Person]:
    """Everyone who has signed in to this server, from their folders' records."""
    people = []
    for path in sorted((base() / PEOPLE).glob(f"*/{RECORD}")):
        with contextlib.suppress(OSError, ValueError, KeyError):
            r = json.loads(path.read_text())
            people.append(Person(r["issuer"], r["subject"], r.get("name", "")))
    return people


def find(ref: str) -> Person:
    """A known person by folder key (or its first characters), subject or name; one sentence when none or
    several match."""
    matches = [p for p in known_people() if p.key.startswith(ref) or ref in (p.subject, p.name)]
    if len(matches) != 1:
        what = "No one" if not matches else f"{len(matches)} people"
        raise LatentLabError(f"{what} on this server matches '{ref}'; run 'latentlab admin users' to see their keys.")
    return matches[0]
