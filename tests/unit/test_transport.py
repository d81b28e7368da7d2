"""LuminosoClient's transport takes from the environment what requests took:
the proxy (unless no_proxy names the host) and the CA bundle; plain HTTP
without a proxy keeps its connections alive through http.client."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import certifi
import pytest
import urllib3

from lumiwork.client import LuminosoClient, PlainHttp, Transport


def test_no_proxy_in_the_environment_means_a_direct_pool(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                 "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    manager = Transport()._manager("https://analytics.example.com/api/v4/ping/")
    assert type(manager) is urllib3.PoolManager
    assert manager.connection_pool_kw["ca_certs"] == certifi.where()


def test_the_proxy_and_ca_bundle_of_the_environment_are_used(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("https_proxy", "http://proxy.example.com:3128")
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    transport = Transport()
    proxied = transport._manager("https://analytics.example.com/api/v4/ping/")
    assert isinstance(proxied, urllib3.ProxyManager)
    assert proxied.proxy.host == "proxy.example.com" and proxied.proxy.port == 3128
    assert proxied.connection_pool_kw["ca_certs"] == str(bundle)
    # no_proxy hosts, and plain http without http_proxy, go direct
    assert not isinstance(transport._manager("https://127.0.0.1:8765/api/v4/"), urllib3.ProxyManager)
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    assert not isinstance(transport._manager("http://analytics.example.com/api/v4/"), urllib3.ProxyManager)


def test_one_pool_per_server():
    transport = Transport("token")
    first = transport._manager("http://127.0.0.1:1/api/v4/a/")
    assert transport._manager("http://127.0.0.1:1/api/v4/b/?x=1") is first
    assert transport._manager("http://127.0.0.1:2/api/v4/a/") is not first


def test_plain_http_without_a_proxy_goes_through_http_client(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    transport = Transport()
    plain = transport._plain_http("http://127.0.0.1:8765/api/v4/ping/")
    assert isinstance(plain, PlainHttp) and (plain.host, plain.port) == ("127.0.0.1", 8765)
    assert transport._plain_http("http://127.0.0.1:8765/api/v4/other/") is plain
    assert transport._plain_http("https://analytics.example.com/api/v4/") is None
    monkeypatch.setenv("http_proxy", "http://proxy.example.com:3128")
    monkeypatch.setenv("no_proxy", "localhost")
    assert Transport()._plain_http("http://analytics.example.com/api/v4/") is None


class RecordingHandler(BaseHTTPRequestHandler):
    """Answers every request with what it received, as JSON; /old/ redirects
    to /new/, and /last/ closes the connection after answering (without saying
    so, as a server whose keep-alive time ran out does)."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.server.connections += 1

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.path.startswith("/old/"):
            self.send_response(307)
            self.send_header("Location", "/new/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"result": {"method": self.command, "path": self.path,
                                      "body": self.rfile.read(length).decode("utf-8"),
                                      "authorization": self.headers.get("Authorization")},
                           "error": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.path.startswith("/last/"):
            self.close_connection = True

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    httpd.connections = 0
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_plain_http_keeps_one_connection_and_replaces_a_closed_one(recorder):
    client = LuminosoClient(Transport("secret"), f"http://127.0.0.1:{recorder.server_port}/")
    for _ in range(3):
        assert client.get("a", text="river")["path"] == "/a/?text=river"
    assert recorder.connections == 1
    assert client.get("last")["authorization"] == "Token secret"
    time.sleep(0.2)  # the server's close reaches the client's idle socket
    assert client.get("b")["path"] == "/b/"
    assert recorder.connections == 2


def test_plain_http_follows_redirects_and_sends_utf8(recorder):
    client = LuminosoClient(Transport(), f"http://127.0.0.1:{recorder.server_port}/")
    assert client.get("old")["path"] == "/new/"
    echoed = client.post_data("fl\u00fcsse", "Fluss \u00fcber \u2192", "text/plain", q="\u00e9")
    assert echoed["path"] == "/fl%C3%BCsse/?q=%C3%A9"
    assert echoed["method"] == "POST" and echoed["body"] == "Fluss \u00fcber \u2192"
