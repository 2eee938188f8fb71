"""The dashboard in an AppTest: started with some session state, on a page, with no exception."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

TIMEOUT = 240


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to ``page`` ("pages/NAME.py") and run it."""
    at.switch_page(page)
    at.run()
    return no_exception(at)


def start_dashboard(monkeypatch, page: str | None = None, **state) -> AppTest:
    """The dashboard run once with ``state`` in its session (then on ``page`` when given); its job
    runners stop 3 s after their last job, so a test leaves none behind."""
    monkeypatch.setenv("LATENTLAB_RUNNER_IDLE_S", "3")
    at = AppTest.from_file("../dashboard.py", default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    if page is not None:
        at.switch_page(page)
    at.run()
    return no_exception(at)


def metric(at: AppTest, label: str) -> str:
    """The value of the page's ``st.metric`` called ``label``."""
    return next(m.value for m in at.metric if m.label == label)


def image_captions(at: AppTest) -> list[str]:
    """The captions of the page's images, in page order."""
    return [im.proto.imgs[0].caption for im in at.get("image") if im.proto.imgs]


def map_json(at: AppTest, key: str = "map-scatter") -> dict:
    """The JSON part of what the page last sent its WebGL map ``key`` (legend, highlight, focus, labels, ...)."""
    import json

    node = next(n for n in at.main if getattr(n, "type", None) == "bidi_component" and n.proto.id.endswith(key))
    return json.loads(node.proto.mixed.json)


def select_on_map(at: AppTest, rows, dataset: str, checkpoint: str | None) -> AppTest:
    """Rows selected on the Map page's map, as the browser's selection would leave them, and the page run again."""
    import json

    import numpy as np

    cfg = at.session_state["ll_map"]
    this_map = json.dumps([checkpoint, dataset, cfg["method"], cfg["params"], cfg["seed"]], default=str)
    at.session_state["ll_map_selection"] = {"map": this_map, "rows": np.asarray(rows, np.int64)}
    at.run()
    return no_exception(at)


def traverse_sliders(at: AppTest) -> dict:
    """The data the Traverse page sent its sliders component on the last run (latents, base, decode URL)."""
    import json

    return next(json.loads(e.proto.json) for e in at.get("bidi_component")
                if e.proto.component_name == "latentlab.sliders")


def decode_request(name: str, version: str, z: str):
    """A GET of the server's decode route for checkpoint ``name`` at ``version`` with the query ``z=...``."""
    from urllib.parse import urlencode

    from starlette.requests import Request

    return Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                    "query_string": urlencode({"z": z}).encode(), "path_params": {"name": name, "version": version}})


def decoded_at(url: str, z) -> bytes:
    """The picture the server's decode route answers for code ``z`` at the sliders' ``url``, as a move asks for it."""
    from latentlab.ui import item_route

    name, version = url.rsplit("/", 2)[1:]
    reply = item_route.decoded_png(decode_request(name, version.removesuffix(".png"),
                                                  ",".join(f"{float(v):.7g}" for v in z)))
    assert reply.status_code == 200, reply.body
    return reply.body
