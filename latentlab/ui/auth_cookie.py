"""Who sent an HTTP request to one of the dashboard's own routes, from Streamlit's signed identity cookie.

``st.login`` leaves the identity token's claims in the ``_streamlit_user`` cookie (split into chunks when
large), signed with the ``[auth]`` section's ``cookie_secret``; the page's WebSocket reads the same cookie.
A route reads it here: a missing, forged or expired cookie is nobody (None), never an error with detail.
"""

from __future__ import annotations

import json
from pathlib import Path

USER_COOKIE = "_streamlit_user"
MAX_AGE_DAYS = 30  # the cookie's own lifetime (st.login sets Max-Age to 30 days)


def claims(cookies: dict[str, str]) -> dict | None:
    """The signed-in claims the request's cookies carry, or None when there is no valid cookie."""
    from streamlit.auth_util import get_cookie_with_chunks
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    secret = get_cookie_secret()
    if not secret:
        return None

    def one(name: str) -> bytes | None:
        raw = cookies.get(name)
        if raw is None:
            return None
        try:
            return decode_signed_value(secret, name, raw.encode("latin-1"), max_age_days=MAX_AGE_DAYS)
        except UnicodeEncodeError:
            return None

    value = get_cookie_with_chunks(one, USER_COOKIE)
    if not value:
        return None
    try:
        payload = json.loads(value)
    except (UnicodeDecodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) and payload.get("is_logged_in") is True else None


def request_workspace(cookies: dict[str, str]) -> Path | None:
    """The workspace of the person who sent the request: None when nobody valid is signed in (or the server's
    rules no longer admit them)."""
    from latentlab.core.errors import LatentLabError
    from latentlab.ui.auth import claims_workspace

    found = claims(cookies)
    if found is None:
        return None
    try:
        return claims_workspace(found)
    except LatentLabError:
        return None
