"""Two people on a lab's server with sign-in: a mock OIDC provider started here, a real ``streamlit run`` of a
project folder whose ``.streamlit/secrets.toml`` has ``[auth]`` pointing at it, and two Chromium contexts
signing in as Alice and Bob. Each imports a dataset and starts a training job; neither sees the other's
datasets, checkpoints or jobs; the hover route refuses the other's items; the demo library is visible to both;
signing out ends access. The screenshot goes to test-artifacts/auth-signed-in.png."""

import contextlib
import time
from pathlib import Path

import pytest

from tests.e2e.auth_server import PEOPLE, project, sign_in, signed_in_dashboard
from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, ROOT, browser_available, free_port, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not browser_available(), reason="needs Chromium at /usr/bin/chromium and playwright")]
pytest.importorskip("authlib")
oidc_mock = pytest.importorskip("oidc_provider_mock")

SHOTS = ROOT / "test-artifacts"


def open_page(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    wait_idle(page)


def import_csv(page, folder: Path, name: str, seed: int) -> None:
    csv = folder / f"{name}.csv"
    csv.write_text("\n".join(["a,b,c,label"] + [f"{(i * seed) % 7},{i % 5},{i / 10},{i % 2}" for i in range(40)]))
    open_page(page, "Data")
    page.locator("input[type='file']").first.set_input_files(str(csv))
    page.wait_for_function("(stem) => [...document.querySelectorAll('input[type=text]')].some(i => i.value === stem)",
                           arg=name, timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text(f"Imported '{name}'").first.wait_for(timeout=60_000)


def start_training(page, name: str) -> None:
    """Two epochs of the Train page's default model on the sidebar's dataset (the demo digits)."""
    open_page(page, "Train")
    page.locator("input[type='number'][aria-label='epochs']").fill("2")
    page.locator("input[aria-label='Checkpoint name (optional)']").fill(name)
    page.get_by_role("button", name="Start training").click()
    page.locator("[data-testid='stAlertContentSuccess']", has_text="queued").first.wait_for(timeout=60_000)


def wait_for_file(path: Path, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while not path.exists():
        assert time.time() < deadline, f"{path.name} was not written"
        time.sleep(0.5)


def sidebar_options(page, label: str) -> str:
    """The options of a sidebar selectbox, as text."""
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']", has_text=label).first.click()
    text = page.locator("[data-testid='stSelectboxVirtualDropdown']").first.inner_text(timeout=10_000)
    page.keyboard.press("Escape")
    return text


def test_two_people_each_see_only_their_own_work(tmp_path):
    from latentlab.core import workspace

    port, home = free_port(), tmp_path / "home"
    users = [oidc_mock.User(sub=sub, claims={"name": name}) for sub, name in list(PEOPLE.items())[:2]]
    with oidc_mock.run_server_in_thread(port=0, user_claims=users) as provider:
        folder = project(tmp_path / "project", port, provider.server_port)
        issuer = f"http://localhost:{provider.server_port}"
        with signed_in_dashboard(folder, home, port) as url:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
                alice_ctx, bob_ctx = (browser.new_context(viewport={"width": 1600, "height": 1000}) for _ in range(2))
                alice = sign_in(alice_ctx.new_page(), url, "alice")
                import_csv(alice, tmp_path, "alice-cells", 3)
                start_training(alice, "alice-model")
                bob = sign_in(bob_ctx.new_page(), url, "bob")
                import_csv(bob, tmp_path, "bob-cells", 5)
                start_training(bob, "bob-model")
                alice_home, bob_home = (home / "people" / workspace.person_key(issuer, sub) for sub in ("alice", "bob"))
                wait_for_file(alice_home / "checkpoints" / "alice-model.json")
                wait_for_file(bob_home / "checkpoints" / "bob-model.json")

                # Each person's sidebar lists their own dataset and checkpoint and the shared demo library, never
                # the other's; their Train page follows only their own jobs.
                for page, me, other in ((alice, "alice", "bob"), (bob, "bob", "alice")):
                    page.reload()
                    wait_idle(page)
                    datasets, checkpoints = sidebar_options(page, "Dataset"), sidebar_options(page, "Checkpoint")
                    assert f"{me}-cells" in datasets and "digits" in datasets and f"{other}-cells" not in datasets
                    assert f"{me}-model" in checkpoints and "digits-vae" in checkpoints
                    assert f"{other}-model" not in checkpoints
                    open_page(page, "Train")
                    jobs_seen = page.locator("input[aria-label='Job']").first.input_value()
                    assert f"{me}-model" in jobs_seen and other not in page.inner_text("body").lower()

                # The hover route: each person's own items, 404 for the other's, 401 once signed out.
                from latentlab.data.registry import load_dataset

                with workspace.using(alice_home):
                    version = load_dataset("alice-cells").fingerprint[:16]
                item = f"{url}/latentlab/items/alice-cells/{version}/0.json"
                assert alice_ctx.request.get(item).status == 200
                refused = bob_ctx.request.get(item)
                assert refused.status == 404 and "alice" not in refused.text().lower()
                SHOTS.mkdir(exist_ok=True)
                alice.screenshot(path=str(SHOTS / "auth-signed-in.png"))

                alice.get_by_role("button", name="Sign out").click()
                alice.wait_for_url(lambda u: "localhost:%d" % port not in u or "oauth2" in u, timeout=30_000)
                with contextlib.suppress(Exception):  # the provider asks to confirm the end of its session
                    alice.get_by_role("button", name="End session").click(timeout=5_000)
                alice.goto(url)
                alice.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
                assert alice_ctx.request.get(item).status == 401
                browser.close()
