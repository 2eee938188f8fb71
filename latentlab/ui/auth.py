"""Sign-in for a lab's shared server, through Streamlit's own OIDC support (``st.login``, ``st.user``,
``st.logout``; Authlib underneath).

With an ``[auth]`` section in ``.streamlit/secrets.toml`` (one provider, or one sub-section per provider),
``gate`` asks for sign-in before any page runs, refuses people the server's rules do not admit, and makes
the signed-in person's folder the workspace of everything the page does (``workspace.set_resolver``: it
reads the running script's identity, so fragments and every later rerun see it too). The ``[latentlab]``
section holds the rules (``latentlab.core.people.ServerRules``). Without ``[auth]`` nothing here runs and the
dashboard is the single-person one it always was.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import streamlit as st

from latentlab.core import library, people, workspace
from latentlab.core.errors import LatentLabError
from latentlab.jobs import owners

JOB_NICE = "10"  # jobs run below the server, so one person's training never starves another's pages
_LINKED = "ll-auth-library-linked"


def configured() -> bool:
    """Whether the server's secrets have an ``[auth]`` section."""
    from streamlit.auth_util import get_secrets_auth_section

    return bool(get_secrets_auth_section())


def providers() -> list[str | None]:
    """The providers to offer: None for a single one written directly in ``[auth]``, else each sub-section."""
    from streamlit.auth_util import get_secrets_auth_section

    section = get_secrets_auth_section()
    if section.get("client_id"):
        return [None]
    return [name for name, value in section.items() if hasattr(value, "get") and value.get("client_id")]


@lru_cache(maxsize=1)
def rules() -> people.ServerRules:
    """The server's rules, read once from the secrets' ``[latentlab]`` section."""
    from streamlit.runtime.secrets import secrets_singleton

    section = secrets_singleton.get("latentlab", {}) if secrets_singleton.load_if_toml_exists() else {}
    return people.ServerRules.from_mapping(section.to_dict() if hasattr(section, "to_dict") else section)


def claims_workspace(claims: dict) -> Path:
    """The workspace of the person ``claims`` name; one sentence when nobody is signed in or the server's
    rules no longer admit them."""
    if not claims.get("is_logged_in"):
        raise LatentLabError("Sign in to use this server.")
    person = people.Person.from_claims(claims)
    if not rules().admits(person):
        raise LatentLabError("Your account has no access to this server; ask its administrator.")
    return person.root


def current_workspace() -> Path | None:
    """The resolver ``gate`` registers: the folder of the person whose page is running (None outside a page,
    e.g. the server's warm-up thread, which works in the base workspace)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return None if ctx is None else claims_workspace(ctx.user_info)


def serve_shared() -> str:
    """Set this server process up for sign-in, once at start: the per-person limits for it and its jobs, jobs
    below the server's priority, the upload limit, jobs of people the rules no longer admit cancelled.
    Returns the mode in words."""
    import os

    from streamlit import config

    if not configured():
        return "single person (no [auth] in .streamlit/secrets.toml): one shared workspace"
    server_rules = rules()
    server_rules.limits.install()
    os.environ["LATENTLAB_JOB_NICE"] = JOB_NICE
    if server_rules.limits.max_upload_mb is not None:
        config.set_option("server.maxUploadSize", max(1, int(server_rules.limits.max_upload_mb)))
    workspace.set_resolver(current_workspace)
    owners.retire_removed(server_rules)
    return f"sign-in ({len(providers())} provider(s)): a workspace per person under {workspace.base() / workspace.PEOPLE}"


def _sign_in_page() -> None:
    st.title("LatentLab")
    st.write("This server is shared by a lab: sign in to see your datasets, checkpoints and jobs.")
    for provider in providers():
        label = "Sign in" if provider is None else f"Sign in with {provider}"
        if st.button(label, type="primary", key=f"ll-sign-in-{provider}"):
            st.login() if provider is None else st.login(provider)


def gate() -> people.Person | None:
    """Run first on every page: without ``[auth]`` do nothing; else stop at the sign-in page until the
    visitor is signed in and admitted, then show who is signed in, with a sign-out control, and return them."""
    if not configured():
        return None
    if not workspace.has_resolver():  # a server started without app.py's start-up (``streamlit run dashboard.py``)
        serve_shared()
    if not st.user.is_logged_in:
        _sign_in_page()
        st.stop()
    try:
        claims_workspace(st.user.to_dict())
    except LatentLabError as exc:
        st.error(str(exc))
        st.button("Sign out", on_click=st.logout)
        st.stop()
    person = people.Person.from_claims(st.user.to_dict())
    root = people.record(person)
    if not st.session_state.get(_LINKED):
        library.link_into(root)
        st.session_state[_LINKED] = True
    with st.sidebar:
        st.caption(f"Signed in as {person.name}" + (" · administrator" if rules().is_admin(person) else ""))
        st.button("Sign out", on_click=st.logout, key="ll-sign-out")
    return person
