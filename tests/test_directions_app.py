"""The Traverse page's direction picker and the Metrics page's interventions, in an AppTest."""

import pytest

from tests.apptest import open_page, start_dashboard


@pytest.fixture
def app(workspace, monkeypatch):
    return start_dashboard(monkeypatch)


def _image(at, prefix):
    return next(im.proto.imgs[0] for im in at.get("image") if im.proto.imgs and im.proto.imgs[0].caption.startswith(prefix))


def test_traverse_along_a_centroid_direction_then_a_probe(app):
    open_page(app, "pages/traverse.py")
    next(r for r in app.radio if r.label == "Move along").set_value("a direction").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not [s for s in app.slider if s.label.startswith("z")]  # the axis sliders give way to one travel slider
    app.selectbox(key="dir-from-labels").set_value("3").run()
    app.selectbox(key="dir-to-labels").set_value("7").run()
    row = _image(app, "along from the centroid of digit 3 to that of digit 7")
    before = _image(app, "decoded along the direction").url
    travel = next(s for s in app.slider if s.label.startswith("Travel along"))
    travel.set_value(1.0).run()
    assert not app.exception
    assert _image(app, "decoded along the direction").url != before
    assert any(b.label == "Download GIF" for b in app.get("download_button"))
    app.selectbox(key="dir-kind").set_value("linear probe").run()
    app.selectbox(key="dir-probe").set_value("digit = 4").run()
    assert not app.exception
    assert _image(app, "along a linear probe for digit = 4").url != row.url


def test_metrics_page_runs_interventions_on_request(app):
    open_page(app, "pages/metrics.py")
    assert any(h.value == "Interventions" for h in app.subheader)
    assert not [im for im in app.get("image") if im.proto.imgs and "output change" in im.proto.imgs[0].caption]
    app.number_input(key="iv-n").set_value(32).run()
    next(b for b in app.button if b.key == "iv-run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    maps = _image(app, "mean |output change| per pixel")
    assert "z0" in maps.caption
    assert any(b.label == "Download effects (CSV)" for b in app.get("download_button"))
    assert any("Probe held-out scores" in c.value for c in app.caption)
