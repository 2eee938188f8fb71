"""A lab's shared server: a workspace per person, the item route checking who asks, per-person limits, the
library, the administrator's command line. The browser test with a real provider is tests/e2e/test_auth_browser.py.
"""

import json
import os
import time

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from latentlab.core import library, people, quotas
from latentlab.core import workspace as ws
from latentlab.core.errors import LatentLabError
from latentlab.jobs import owners

ISSUER = "https://id.lab.example"
ALICE, BOB = people.Person(ISSUER, "alice-0001", "Alice"), people.Person(ISSUER, "bob-0002", "Bob")
SECRET = "a-long-random-cookie-secret-for-the-tests-0123456789"


def _dataset(name, seed):
    from latentlab.data import Dataset

    rng = np.random.default_rng(seed)
    return Dataset(name=name, x=rng.random((20, 6)).astype(np.float32), kind="tabular",
                   labels=np.repeat([0, 1], 10), feature_names=[f"f{i}" for i in range(6)])


def _save(person, name, seed):
    from latentlab.data.registry import save_dataset

    with ws.using(person.root):
        return save_dataset(_dataset(name, seed))


def test_each_person_has_a_folder_keyed_by_issuer_and_subject_and_keeps_their_own_dataset(workspace):
    assert ALICE.root.parent == workspace / "people" and ALICE.root != BOB.root
    assert ALICE.key == people.Person(ISSUER, "alice-0001", "another name, same person").key
    assert "alice" not in ALICE.key and people.Person("https://other.example", "alice-0001").key != ALICE.key
    a, b = _save(ALICE, "cells", 0), _save(BOB, "cells", 1)  # the same name: both keep their own
    from latentlab.data import load_dataset

    with workspace_of(ALICE):
        assert load_dataset("cells").fingerprint == a.fingerprint
    with workspace_of(BOB):
        assert load_dataset("cells").fingerprint == b.fingerprint != a.fingerprint
    assert not (workspace / "datasets" / "cells.json").exists()  # the single-person workspace is untouched


def workspace_of(person):
    return ws.using(person.root)


def _cookie(claims, secret=SECRET, signed_at=None):
    from unittest import mock

    from itsdangerous import URLSafeTimedSerializer

    value = json.dumps({**claims, "origin": "http://localhost", "is_logged_in": True})
    with mock.patch("itsdangerous.timed.time.time", return_value=signed_at or time.time()):
        return URLSafeTimedSerializer(secret, salt="_streamlit_user").dumps(value)


@pytest.fixture
def served(workspace, monkeypatch):
    """The item routes as a signed-in server answers them, with Alice's and Bob's 'cells' imported."""
    from latentlab.ui import auth, item_route, loaders

    monkeypatch.setattr(auth, "configured", lambda: True)
    monkeypatch.setattr(auth, "rules", lambda: people.ServerRules(allowed=frozenset(
        {(ALICE.issuer, ALICE.subject), (BOB.issuer, BOB.subject)})))
    monkeypatch.setattr("streamlit.web.server.server_util.get_cookie_secret", lambda: SECRET)
    a, b = _save(ALICE, "cells", 0), _save(BOB, "cells", 1)
    loaders.clear_listings()
    client = TestClient(Starlette(routes=item_route.routes()))
    return client, a.fingerprint[:16], b.fingerprint[:16]


def _get(client, url, cookie=None):
    client.cookies.clear()
    if cookie:
        client.cookies.set("_streamlit_user", cookie)
    return client.get(url)


def test_the_item_route_serves_a_person_only_their_own_datasets(served):
    client, alice_v, bob_v = served
    alice = _cookie({"iss": ALICE.issuer, "sub": ALICE.subject})
    mine = _get(client, f"/latentlab/items/cells/{alice_v}/3.json", alice)
    assert mine.status_code == 200 and mine.json()["index"] == 3 and "private" in mine.headers["cache-control"]
    theirs = _get(client, f"/latentlab/items/cells/{bob_v}/3.json", alice)  # Bob's version of the same name
    nowhere = _get(client, "/latentlab/items/no-such-set/0000/3.json", alice)
    assert theirs.status_code == nowhere.status_code == 404 and theirs.content == nowhere.content
    assert "Bob" not in theirs.text and "bob" not in theirs.text
    bob = _cookie({"iss": BOB.issuer, "sub": BOB.subject})
    assert _get(client, f"/latentlab/items/cells/{bob_v}/3.json", bob).status_code == 200
    assert _get(client, f"/latentlab/items/digits/{alice_v}/0.png", bob).status_code == 404


@pytest.mark.parametrize("cookie", [
    None,
    _cookie({"iss": ALICE.issuer, "sub": ALICE.subject}, secret="not-the-servers-secret-0123456789abcdef"),  # forged
    _cookie({"iss": ALICE.issuer, "sub": ALICE.subject}, signed_at=time.time() - 40 * 86400),  # expired
    _cookie({"iss": ISSUER, "sub": "carol-removed"}),  # signed, but the rules do not admit her
    "garbage.value.here",
])
def test_the_item_route_answers_401_without_a_valid_session(served, cookie):
    client, alice_v, _ = served
    for ext in ("json", "png"):
        reply = _get(client, f"/latentlab/items/cells/{alice_v}/3.{ext}", cookie)
        assert reply.status_code == 401 and "cells" not in reply.text and "Traceback" not in reply.text


def test_the_decode_route_answers_only_a_signed_in_person(served):
    from latentlab import lab

    client, _, _ = served
    url = f"/latentlab/decoded/digits-vae/{lab.load_checkpoint('digits-vae').fingerprint[:16]}.png?z=0,0,0,0,0,0,1,1"
    assert _get(client, url).status_code == 401
    mine = _get(client, url, _cookie({"iss": ALICE.issuer, "sub": ALICE.subject}))
    assert mine.status_code == 200 and mine.content[:4] == b"\x89PNG" and "private" in mine.headers["cache-control"]


@pytest.mark.parametrize("name", ["..%2F..%2Fdatasets%2Fcells", "..", "%2E%2E", "cells%2F..%2F..", "cells%00"])
def test_the_item_route_refuses_names_that_try_to_leave_the_workspace(served, name):
    client, alice_v, _ = served
    alice = _cookie({"iss": ALICE.issuer, "sub": ALICE.subject})
    assert _get(client, f"/latentlab/items/{name}/{alice_v}/3.json", alice).status_code == 404


@pytest.fixture
def limited(workspace, monkeypatch):
    monkeypatch.delenv(quotas.ENV, raising=False)
    quotas.Limits(max_running_jobs=1, max_stored_mb=0.01, max_upload_mb=1).install()  # about 10 kB each
    yield
    monkeypatch.delenv(quotas.ENV, raising=False)


def test_a_person_filling_their_quota_is_refused_whole_and_the_other_is_unaffected(limited):
    _save(ALICE, "small", 0)
    with pytest.raises(LatentLabError, match="limit of .* per person") as refused:
        from latentlab.data import Dataset
        from latentlab.data.registry import save_dataset

        with workspace_of(ALICE):
            save_dataset(Dataset(name="big", x=np.zeros((400, 16), np.float32), kind="tabular"))
    assert "\n" not in str(refused.value)
    assert not list((ALICE.root / "datasets").glob("big*")) and not list((ALICE.root / "datasets").glob(".tmp-*"))
    _save(BOB, "small", 1)  # Bob's limit is his own
    assert (BOB.root / "datasets" / "small.npz").exists()


def test_a_person_may_run_only_so_many_jobs(limited):
    from latentlab.jobs import store

    with ws.using(ALICE.root):
        store.create("embed", {})
        with pytest.raises(LatentLabError, match="1 jobs queued or running"):
            store.create("embed", {})
    with ws.using(BOB.root):
        store.create("embed", {})
    store.create("embed", {})
    store.create("embed", {})  # the base workspace (the command line's) has no limit


def test_a_signed_in_server_sets_its_limits_priority_and_upload_size_once_at_start(workspace, monkeypatch):
    from streamlit import config

    from latentlab.ui import auth

    monkeypatch.setattr(auth, "configured", lambda: True)
    monkeypatch.setattr(auth, "providers", lambda: [None])
    monkeypatch.setattr(auth, "rules", lambda: people.ServerRules(limits=quotas.Limits(max_upload_mb=3)))
    for name in (quotas.ENV, "LATENTLAB_JOB_NICE"):
        monkeypatch.delenv(name, raising=False)
    before = config.get_option("server.maxUploadSize")
    try:
        assert "a workspace per person" in auth.serve_shared()
        assert config.get_option("server.maxUploadSize") == 3 and os.environ["LATENTLAB_JOB_NICE"] == "10"
        assert json.loads(os.environ[quotas.ENV])["max_upload_mb"] == 3
        assert ws.home() == workspace  # outside a page (no script run) the base workspace
    finally:
        config.set_option("server.maxUploadSize", before)
        ws.set_resolver(None)


def test_a_removed_persons_queued_jobs_are_cancelled_and_their_sign_in_refused(workspace, monkeypatch):
    from latentlab.jobs import store
    from latentlab.ui import auth

    for person in (ALICE, BOB):
        people.record(person)
        with workspace_of(person):
            store.create("embed", {})
    rules = people.ServerRules(allowed=frozenset({(ALICE.issuer, ALICE.subject)}))
    assert owners.retire_removed(rules) == [BOB.key]
    assert [j.state for j in owners.jobs_of(BOB)] == ["cancelled"]
    assert [j.state for j in owners.jobs_of(ALICE)] == ["queued"]
    monkeypatch.setattr(auth, "rules", lambda: rules)
    assert auth.claims_workspace({"is_logged_in": True, "iss": ALICE.issuer, "sub": ALICE.subject}) == ALICE.root
    with pytest.raises(LatentLabError, match="no access"):
        auth.claims_workspace({"is_logged_in": True, "iss": BOB.issuer, "sub": BOB.subject})
    with pytest.raises(LatentLabError, match="Sign in"):
        auth.claims_workspace({"is_logged_in": False})


def test_a_published_dataset_is_everyones_read_only_and_not_counted_as_theirs(workspace):
    _save(ALICE, "atlas", 0)
    _save(BOB, "atlas", 5)  # Bob's own of that name wins over the library's
    library.publish(ALICE.root, "datasets", "atlas")
    carol = people.Person(ISSUER, "carol-0003")
    assert library.link_into(carol.root) >= 2 and library.link_into(BOB.root) == 0
    from latentlab.data import load_dataset

    with workspace_of(carol):
        assert load_dataset("atlas").fingerprint == _dataset("atlas", 0).fingerprint
    assert quotas.usage_bytes(carol.root) == 0
    assert not (library.library_root() / "datasets" / "atlas.npz").stat().st_mode & 0o222
    with pytest.raises(LatentLabError, match="not a dataset or checkpoint name"):
        library.publish(ALICE.root, "datasets", "../atlas")
    with pytest.raises(LatentLabError, match="no dataset named"):
        library.publish(carol.root, "datasets", "cells")


def test_the_admin_lists_people_and_publishes_and_serve_says_its_mode(workspace, tmp_path, capsys):
    from latentlab.cli import main
    from latentlab.cli.serve import serving_mode

    people.record(ALICE)
    _save(ALICE, "atlas", 0)
    assert main(["admin", "users"]) == 0 and "Alice" in capsys.readouterr().out
    assert main(["admin", "publish", ALICE.key[:8], "datasets", "atlas"]) == 0
    assert main(["admin", "publish", "nobody", "datasets", "atlas"]) == 2
    assert "single person" in serving_mode(tmp_path)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[auth]\nclient_id = "x"\n')
    assert "sign-in" in serving_mode(tmp_path)
