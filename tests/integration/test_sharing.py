"""The sharing API and the share front without a browser: a dashboard's token
reads its project and nothing else; links are signed, scoped and counted;
plain HTTP clients never start kernels; the caps and rate limits hold."""
from __future__ import annotations

import json
import re
import time

import httpx
import pytest
import requests
from share_support import DASHBOARD, kernel_pids, local_link, sharing_client, token_of

from lumiwork.client import LuminosoClientError


@pytest.fixture(scope="module")
def dashboard(server, demo_project):
    return sharing_client(server).publish(DASHBOARD, "Siddhartha")


@pytest.fixture(scope="module")
def front(server, dashboard):
    from lumiwork.share.limits import RateLimiter
    from lumiwork.share.runner import FrontServer

    # generous exchanges per address here: these tests measure the caps (the limit has its own test)
    with FrontServer(server.store.data_dir, server.url, exchange_limit=RateLimiter(200, 1.0)) as running:
        yield running


def api(server, method, path, token=None, **kwargs):
    return requests.request(method, f"http://{server.netloc}{path}", timeout=30,
                            headers={"Authorization": f"Token {token or server.token}"}, **kwargs)


def test_dashboard_token_reads_its_project_only(server, demo_project, dashboard):
    record = server.store.dashboards.get(dashboard["dashboard_id"])
    token = server.store.tokens.scoped_token(record["token_id"])
    account, project = record["account_id"], record["project_id"]
    base = f"/api/v4/projects/{account}/{project}/"
    assert api(server, "GET", base + "terms/?limit=3", token).status_code == 200
    assert api(server, "POST", base + "docs/vectors/", token, json=[{"text": "river"}]).status_code == 200
    other = api(server, "POST", f"/api/v4/projects/{account}/", data={"name": "another"}).json()["result"]["project_id"]
    refused = [
        api(server, "GET", f"/api/v4/projects/{account}/{other}/", token),            # another project
        api(server, "GET", f"/api/v4/projects/{account}/", token),                     # the project list
        api(server, "POST", base + "topics/", token, data={"name": "x", "text": "x"}),  # a write
        api(server, "DELETE", base, token),                                            # deleting it
        api(server, "GET", "/api/sharing/shares/", token),                             # making links
        api(server, "GET", "/compass/api/projects/", token),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert refused[0].json()["result"] is None and refused[0].json()["error"]["code"] == "TOKEN_SCOPE"
    assert "x" not in {t["name"] for t in api(server, "GET", base + "topics/").json()["result"]}
    # the scoped token is stored hashed and is not among the user's own tokens
    assert server.store.db.read_one("SELECT COUNT(*) FROM tokens WHERE token_hash = ?", (token,))[0] == 0
    listed = api(server, "GET", "/api/v4/user/tokens/").json()["result"]
    assert record["token_id"] not in json.dumps(listed)


def test_sharing_api_is_documented_and_refuses_bad_input(server, demo_project, dashboard):
    doc = requests.get(f"http://{server.netloc}/api/sharing/", timeout=10).text
    for resource in ("dashboards/", "shares/", "exports/", "schedules/"):
        assert resource in doc
    client = sharing_client(server)
    cases = [
        (lambda: api(server, "POST", "/api/sharing/dashboards/", json={"notebook": {"cells": 3}, "project": "x"}),
         400, "INVALID_NOTEBOOK"),
        (lambda: api(server, "POST", "/api/sharing/dashboards/",
                     json={"notebook": json.loads(DASHBOARD.read_text()), "project": "no such project"}),
         404, "NOT_FOUND"),
        (lambda: api(server, "POST", "/api/sharing/shares/", json={"dashboard": dashboard["dashboard_id"],
                                                                    "expires": "soon"}), 400, "INVALID_PARAMETER"),
        (lambda: api(server, "POST", "/api/sharing/shares/", json={"dashboard": "nope"}), 404, "NOT_FOUND"),
        (lambda: api(server, "DELETE", "/api/sharing/shares/nope/"), 404, "NOT_FOUND"),
        (lambda: requests.get(f"http://{server.netloc}/api/sharing/dashboards/", timeout=10), 401, "AUTH_REQUIRED"),
    ]
    for call, status, code in cases:
        answer = call()
        assert (answer.status_code, answer.json()["error"]) == (status, code), answer.text
        assert answer.json()["message"]
    with pytest.raises(LuminosoClientError, match="no notebook at"):
        client.publish("/nonexistent.ipynb", "Siddhartha")


def exchange(http: httpx.Client, front_url: str, link: str) -> httpx.Response:
    dashboard_id = re.search(r"/s/([^/#]+)", link).group(1)
    return http.post(f"{front_url}/s/{dashboard_id}/exchange", json={"t": token_of(link)})


def open_live(http: httpx.Client, front_url: str, link: str) -> httpx.Response:
    """What a browser does with a link: exchange it, load the launcher, follow its pass."""
    answer = exchange(http, front_url, link)
    if answer.status_code != 200:
        return answer
    launcher = http.get(front_url + answer.json()["next"])
    target = re.search(r"href='([^']+)'", launcher.text)
    if target is None:
        return launcher
    return http.get(front_url + target.group(1).replace("&amp;", "&"))


def test_plain_opens_start_at_most_the_cap_and_the_front_stays_responsive(server, dashboard, front):
    client = sharing_client(server)
    link = local_link(client.share(dashboard["dashboard_id"], expires="1h", max_viewers=3)["url"], front.url)
    dashboard_id = dashboard["dashboard_id"]
    with httpx.Client(timeout=120) as http:
        # a link previewer or mail scanner: fetches the link, runs no script
        for _ in range(50):
            page = http.get(link.split("#")[0])
            assert page.status_code == 200 and "/exchange" in page.text
        assert dashboard_id not in front.front.voilas  # nothing started at all
        statuses = []
        for _ in range(50):  # 50 full opens, each a new viewer
            with httpx.Client(timeout=120) as viewer:
                statuses.append(open_live(viewer, front.url, link).status_code)
            assert http.get(front.url + "/").status_code == 200
    # three views (the link's cap); the others told the dashboard is busy, or, past the
    # link's rate of new views, to wait a moment
    assert statuses.count(200) == 3 and set(statuses) == {200, 503, 429}, statuses
    voila = front.front.voilas[dashboard_id]
    assert len(kernel_pids(voila.process.pid)) == 3
    assert len([k for k in front.front.kernels.values() if k.dashboard_id == dashboard_id]) == 3
    shown = {s["share_id"]: s for s in client.shares(dashboard_id)}
    assert max(s["views"] for s in shown.values()) == 50  # every exchange counts as a view
    # both servers answer while three kernels run (within the clients' 30 s timeout)
    assert httpx.get(front.url + "/", timeout=30).status_code == 200
    assert httpx.get(f"http://{server.netloc}/api/v4/ping/", timeout=30).status_code == 200


def test_links_start_with_the_running_fronts_address(server, dashboard, front):
    share = sharing_client(server).share(dashboard["dashboard_id"], expires="1h")
    assert share["url"].startswith(f"{front.url}/s/{dashboard['dashboard_id']}#t=")
    assert f"Share links open at {front.url}" in requests.get(f"http://{server.netloc}/api/sharing/", timeout=10).text


def test_link_refusals_and_blocked_paths(server, dashboard, front):
    client = sharing_client(server)
    dashboard_id = dashboard["dashboard_id"]
    other = client.publish(DASHBOARD, "Siddhartha", name="another dashboard")
    good = local_link(client.share(dashboard_id, expires="1h")["url"], front.url)
    revoked = client.share(dashboard_id, expires="1h")
    client.revoke(revoked["share_id"])
    foreign = local_link(client.share(other["dashboard_id"], expires="1h")["url"], front.url)
    token = token_of(good)
    tampered = good[:-1] + ("A" if token[-1] != "A" else "B")
    with httpx.Client(timeout=60) as http:
        def reason(link, dashboard=dashboard_id):
            answer = http.post(f"{front.url}/s/{dashboard}/exchange", json={"t": token_of(link)})
            found = re.search(r"data-reason='(\w+)'", answer.text)
            assert "Traceback" not in answer.text
            return answer.status_code, found.group(1) if found else None

        assert reason(local_link(revoked["url"], front.url)) == (410, "revoked")
        assert reason(tampered) == (400, "invalid")
        assert reason(foreign) == (400, "foreign")  # a link to another dashboard, opened here
        assert exchange(http, front.url, good).status_code == 200
        assert http.cookies.get("lw_share")
        for path in ("api/kernels", "api/contents", "api/sessions", "api/terminals", "voila/files/dashboard.ipynb",
                     "voila/tree", "voila/render/x", "login", "logout", "voila/static/../../etc/passwd",
                     "api/kernels/00000000-0000-0000-0000-000000000000"):
            answer = http.get(f"{front.url}/d/{dashboard_id}/app/{path}")
            assert answer.status_code == 404 and "data-reason='not_found'" in answer.text, path
        for path in ("/lab", "/api/contents", "/api/kernels", "/tree", "/d/other/app/api/kernels"):
            assert http.get(front.url + path).status_code in (401, 404), path
        assert http.delete(f"{front.url}/d/{dashboard_id}/app/api/kernels/x").status_code == 404
        # without the session cookie, nothing under the dashboard answers
        assert httpx.get(f"{front.url}/d/{dashboard_id}/", timeout=10).status_code == 401


def test_exchanges_are_rate_limited_per_address(server, dashboard):
    from lumiwork.share.runner import FrontServer

    with FrontServer(server.store.data_dir, server.url) as limited, httpx.Client(timeout=30) as http:
        statuses = [http.post(f"{limited.url}/s/{dashboard['dashboard_id']}/exchange", json={"t": "x.y"}).status_code
                    for _ in range(12)]
        assert statuses[0] == 400 and 429 in statuses
        slow = http.post(f"{limited.url}/s/{dashboard['dashboard_id']}/exchange", json={"t": "x.y"})
        assert slow.status_code == 429 and int(slow.headers["Retry-After"]) >= 1
        assert "Please wait a moment" in slow.text


def test_a_revoked_link_ends_its_open_view_and_says_why(server, dashboard, front):
    client = sharing_client(server)
    share = client.share(dashboard["dashboard_id"], expires="1h", max_viewers=1)
    link = local_link(share["url"], front.url)
    with httpx.Client(timeout=120) as viewer:
        assert open_live(viewer, front.url, link).status_code == 200
        kernel = next(k for k, v in front.front.kernels.items() if v.link_id == share["share_id"])
        model = f"{front.url}/d/{dashboard['dashboard_id']}/app/api/kernels/{kernel}"
        assert viewer.get(model).status_code == 200  # what the page polls while it is open
        client.revoke(share["share_id"])
        for url in (model, f"{front.url}/d/{dashboard['dashboard_id']}/"):
            answer = viewer.get(url)  # the page's next poll shows its "view has ended" notice
            assert answer.status_code == 410 and "data-reason='revoked'" in answer.text, url


def test_a_closed_tab_frees_its_view_for_the_next_viewer(server, dashboard, front):
    from websockets.sync.client import connect

    client = sharing_client(server)
    share = client.share(dashboard["dashboard_id"], expires="1h", max_viewers=1)
    link = local_link(share["url"], front.url)
    front.front.abandoned_seconds = 1.0  # a page gone this long is a closed tab (a minute by default)
    try:
        with httpx.Client(timeout=120) as first, httpx.Client(timeout=120) as second:
            assert open_live(first, front.url, link).status_code == 200
            kernel = next(k for k, v in front.front.kernels.items() if v.link_id == share["share_id"])
            host = front.url.removeprefix("http://")
            channels = f"ws://{host}/d/{dashboard['dashboard_id']}/app/api/kernels/{kernel}/channels"
            with connect(channels, origin=f"http://{host}",
                         additional_headers={"Cookie": f"lw_share={first.cookies['lw_share']}"}):
                assert open_live(second, front.url, link).status_code == 503  # the page is open: busy
            time.sleep(2.0)  # the tab closed: its socket is gone
            assert open_live(second, front.url, link).status_code == 200
            assert kernel not in front.front.kernels
    finally:
        front.front.abandoned_seconds = 60.0


def test_a_link_unused_for_its_inactivity_period_ends(server, dashboard):
    from lumiwork.share.runner import FrontServer

    offset = {"seconds": 0.0}
    with FrontServer(server.store.data_dir, server.url, clock=lambda: time.time() + offset["seconds"]) as front:
        share = sharing_client(server).share(dashboard["dashboard_id"], expires="7d", inactivity="2h")
        link = local_link(share["url"], front.url)
        with httpx.Client(timeout=30) as viewer, httpx.Client(timeout=30) as later:
            assert exchange(viewer, front.url, link).status_code == 200
            offset["seconds"] = 3600.0  # an hour on: still in use
            assert viewer.get(f"{front.url}/d/{dashboard['dashboard_id']}/").status_code == 200
            offset["seconds"] = 3600.0 + 2 * 3600 + 60  # then two hours and a minute without use
            refused = exchange(later, front.url, link)
            assert refused.status_code == 410 and "data-reason='inactive'" in refused.text
            assert "without use" in refused.text
            gone = viewer.get(f"{front.url}/d/{dashboard['dashboard_id']}/")
            assert gone.status_code == 410 and "data-reason='inactive'" in gone.text
