"""Share links in Debian's Chromium with every request to another host aborted:
the link opens the live dashboard, a widget change updates its chart, nothing
loads from elsewhere, the token reaches neither the kernel nor a log, a locked
parameter cannot be changed, and revoked, expired, altered and foreign links
get the refusal page."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import urlparse

import pytest
from browsers import launch
from share_support import DASHBOARD, environment_of, kernel_pids, local_link, sharing_client, token_of


@pytest.fixture(scope="module")
def shared(server, demo_project):
    from lumiwork.share.runner import FrontServer

    client = sharing_client(server)
    dashboard = client.publish(DASHBOARD, "Siddhartha", name="Topic terms")
    with FrontServer(server.store.data_dir, server.url) as front:
        yield client, dashboard, front


def offline_page(browser):
    """A page that may reach 127.0.0.1 only; returns it with the requests it made and the ones blocked."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requested, blocked = [], []

    def guard(route):
        requested.append(route.request.url)
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("websocket", lambda ws: requested.append(ws.url))
    return page, requested, blocked


def command_line(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return handle.read().replace(b"\0", b" ").decode()


def chart_title(page) -> str:
    return page.locator(".js-plotly-plot .gtitle").first.text_content() or ""


def test_link_opens_the_live_dashboard_offline_and_a_widget_updates_its_chart(shared):
    from playwright.sync_api import sync_playwright

    client, dashboard, front = shared
    link = local_link(client.share(dashboard["dashboard_id"], expires="1h")["url"], front.url)
    with sync_playwright() as p:
        browser = launch(p)
        page, requested, blocked = offline_page(browser)
        page.goto(link)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .gtitle').length > 0")
        assert chart_title(page) == "Terms related to “River”"
        assert "#t=" not in page.url and urlparse(page.url).path == f"/d/{dashboard['dashboard_id']}/app/"
        page.locator("select").first.select_option("Characters")
        page.wait_for_function("document.querySelector('.js-plotly-plot .gtitle').textContent.includes('Characters')",
                               timeout=60_000)
        page.wait_for_selector("table.dataTable tbody tr")
        assert blocked == []  # nothing from another host
        assert not [url for url in requested if token_of(link) in url]  # the token is in no request
        browser.close()
    views = {s["share_id"]: s for s in client.shares(dashboard["dashboard_id"])}
    assert max(s["views"] for s in views.values()) >= 1


def test_a_locked_parameter_reaches_the_kernel_alone_and_cannot_be_changed(shared):
    from playwright.sync_api import sync_playwright

    client, dashboard, front = shared
    share = client.share(dashboard["dashboard_id"], expires="1h", params={"topic": "Characters"})
    link = local_link(share["url"], front.url)
    with sync_playwright() as p:
        browser = launch(p)
        page, _, blocked = offline_page(browser)
        page.goto(link)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .gtitle').length > 0", timeout=120_000)
        assert chart_title(page) == "Terms related to “Characters”"
        assert page.locator("select").first.locator("option").all_inner_texts() == ["Characters"]
        voila = front.front.voilas[dashboard["dashboard_id"]]
        ours = [k for k, kernel in front.front.kernels.items() if kernel.link_id == share["share_id"]]
        pids = [pid for pid in kernel_pids(voila.process.pid) if any(k in command_line(pid) for k in ours)]
        environments = [environment_of(pid) for pid in pids]
        assert len(environments) == 1 and environments[0]["QUERY_STRING"] == "topic=Characters"
        token = token_of(link)
        assert not [env for env in environments if any(token in value for value in env.values())]
        assert not [env for env in environments if "lw_share" in str(env)]
        assert token not in (voila.workdir / "voila.log").read_text(errors="replace")
        assert blocked == []
        browser.close()


def test_revoked_expired_altered_and_foreign_links_get_the_refusal_page(shared, server, tmp_path):
    from playwright.sync_api import sync_playwright

    client, dashboard, front = shared
    other = client.publish(DASHBOARD, "Siddhartha", name="another")
    # through the CLI, as a user would: the link is the last line printed
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token}
    made = subprocess.run([sys.executable, "-m", "lumiwork", "share", "create", dashboard["dashboard_id"],
                           "--expires", "5s"], env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    expiring = local_link(made.stdout.strip().splitlines()[-1], front.url)
    created = time.monotonic()
    revoked = client.share(dashboard["dashboard_id"], expires="1h")
    revoke = subprocess.run([sys.executable, "-m", "lumiwork", "share", "revoke", revoked["share_id"]], env=env,
                            capture_output=True, text=True, timeout=60)
    assert revoke.returncode == 0, revoke.stderr
    good = local_link(client.share(dashboard["dashboard_id"], expires="1h")["url"], front.url)
    token = token_of(good)
    altered = good[:-1] + ("A" if token[-1] != "A" else "B")
    foreign = good.replace(dashboard["dashboard_id"], other["dashboard_id"])  # this link, pointed at another
    listed = subprocess.run([sys.executable, "-m", "lumiwork", "share", "list"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert revoked["share_id"] in listed.stdout and "revoked" in listed.stdout
    cases = {"revoked": local_link(revoked["url"], front.url), "invalid": altered, "foreign": foreign}
    with sync_playwright() as p:
        browser = launch(p)
        page, _, _ = offline_page(browser)
        time.sleep(max(0.0, 5.5 - (time.monotonic() - created)))
        cases["expired"] = expiring
        for reason, link in cases.items():
            page.goto("about:blank")  # a new document each time, as a link opened in a new tab
            page.goto(link)
            refusal = page.wait_for_selector(f".lumiwork-refusal[data-reason='{reason}']", timeout=30_000)
            text = refusal.inner_text()
            assert "Traceback" not in page.content() and ("Ask" in text or "Open the link" in text), reason
        browser.close()
