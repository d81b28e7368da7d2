"""Reads marked quick run on the event loop of an idle server, and on worker
threads while another request is in flight (core.pipeline.endpoint)."""
import asyncio
import threading

import httpx
from starlette.routing import Route

from lumiwork.engine import build_model
from lumiwork.server.core.middleware import api_app
from lumiwork.server.core.params import Params
from lumiwork.server.core.pipeline import Call, endpoint
from lumiwork.server.db import Store
from lumiwork.server.state import ServerState
from lumiwork.server.v4.dialect import V4Dialect
from lumiwork.server.v4.search import QUICK_LIMIT, quick_search


def served_app(tmp_path, routes):
    """An API of these routes in API v4's dialect, over a real store."""
    store = Store(tmp_path / "data")
    store.create_user("ana", "a long enough password", None)
    token = store.tokens.issue("ana", "long_lived")["token"]
    app = api_app(V4Dialect(), routes, ServerState(store), loopback_only=False)
    return app, {"Authorization": f"Token {token}"}


def test_a_quick_read_runs_on_the_event_loop_only_while_nothing_else_is_in_flight(tmp_path):
    release = threading.Event()
    threads: list[str] = []

    def slow(call):
        release.wait(10)
        return "slow"

    def quick(call):
        threads.append(threading.current_thread().name)
        return "quick"

    app, headers = served_app(tmp_path, [
        Route("/slow/", endpoint(slow), methods=["GET"]),
        Route("/quick/", endpoint(quick, quick_when_idle=lambda call, query: True), methods=["GET"]),
    ])
    api = app.state.server

    async def scenario() -> tuple[str, list[int]]:
        in_flight = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            assert (await client.get("/quick/", headers=headers)).json()["result"] == "quick"
            pending = asyncio.create_task(client.get("/slow/", headers=headers))
            while api.requests_in_flight == 0:
                await asyncio.sleep(0.01)
            in_flight.append(api.requests_in_flight)
            assert (await client.get("/quick/", headers=headers)).json()["result"] == "quick"
            release.set()
            assert (await pending).json()["result"] == "slow"
        in_flight.append(api.requests_in_flight)
        return threading.current_thread().name, in_flight

    try:
        loop_thread, in_flight = asyncio.run(scenario())
    finally:
        release.set()
        api.stop()
    assert threads[0] == loop_thread  # alone: on the event loop
    assert threads[1] != loop_thread  # beside the slow one: on a worker thread
    assert in_flight == [1, 0]


def test_a_failing_quick_read_answers_its_error_and_leaves_nothing_in_flight(tmp_path):
    def broken(call):
        raise ValueError("boom")

    app, headers = served_app(tmp_path, [
        Route("/broken/", endpoint(broken, quick_when_idle=lambda call, query: True), methods=["GET"]),
    ])

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/broken/", headers=headers)

    try:
        response = asyncio.run(scenario())
    finally:
        app.state.server.stop()
    assert response.status_code == 500 and response.json()["error"]["code"] == "SERVER_ERROR"
    assert app.state.server.requests_in_flight == 0


def test_only_searches_of_a_loaded_model_with_a_small_limit_are_quick(tmp_path):
    api = ServerState(Store(tmp_path / "data"))
    try:
        loaded, unloaded = (Call(api, V4Dialect(), Params({}), None, {"account": "a", "project": project}, "GET",
                                 "http://127.0.0.1/", "http://127.0.0.1/api/v4/", "127.0.0.1")
                            for project in ("p1", "p2"))
        api.models.put("p1", "p1-1.npz", build_model([{"_id": "a", "text": "river water boat"},
                                                      {"_id": "b", "text": "boat river"}], dimensions=2))
        assert quick_search(loaded, {})
        assert quick_search(loaded, {"limit": str(QUICK_LIMIT)})
        assert quick_search(loaded, {"limit": " 10 "})
        assert not quick_search(loaded, {"limit": str(QUICK_LIMIT + 1)})
        assert not quick_search(loaded, {"limit": "-1"})
        assert not quick_search(loaded, {"limit": "lots"})
        assert not quick_search(loaded, {"limit": "9" * 5000})  # never handed to int()
        assert not quick_search(loaded, {"limit": "\u00b2\u0663"})  # Unicode digits
        assert not quick_search(unloaded, {})
    finally:
        api.stop()
