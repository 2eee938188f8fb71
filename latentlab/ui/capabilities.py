"""What a page cannot show for a checkpoint's model, said on the page with the reason (a model trained
elsewhere may bring an encoder only, or a deterministic encoder with no prior to sample from)."""

from __future__ import annotations

import streamlit as st

from latentlab import lab


def missing(ck, view: str) -> str | None:
    """Why ``view`` ("reconstructions", "traversals", "sampling", ...) is unavailable for ``ck``; None if it is not."""
    return None if ck is None else lab.capabilities(ck).missing.get(view)


def unavailable(ck, view: str, container=st) -> bool:
    """Show (``st.info``) that ``view`` is unavailable for ``ck`` and why, and return True; False when it is available."""
    why = missing(ck, view)
    if why is None:
        return False
    container.info(f"No {view} for {ck.name}: {why}.")
    return True
