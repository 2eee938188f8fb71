"""The map settings shared between pages: one session key, read through one accessor with one default."""

from pathlib import Path

from latentlab.ui import map_settings

ROOT = Path(__file__).resolve().parent.parent


def test_pages_read_the_map_settings_only_through_the_accessor():
    scripts = [*ROOT.glob("pages/*.py"), ROOT / "app.py", ROOT / "dashboard.py"]
    naming = [p.name for p in scripts if p.exists() and f'"{map_settings.SESSION_KEY}"' in p.read_text()]
    assert naming == []


def test_missing_settings_take_the_one_default(monkeypatch):
    monkeypatch.setattr(map_settings.st, "session_state", {})
    assert map_settings.map_settings() == map_settings.DEFAULT
    monkeypatch.setattr(map_settings.st, "session_state", {"ll_map": {"method": "pca", "seed": 3}})
    assert map_settings.map_settings() == {"method": "pca", "dims": 2, "params": {}, "seed": 3}
    map_settings.remember_map_settings("tsne", 3, {"perplexity": 5}, 1)
    assert map_settings.projection_of_map() == {"method": "tsne", "dims": 3, "perplexity": 5}
