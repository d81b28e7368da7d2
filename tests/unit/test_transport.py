"""LuminosoClient's transport takes from the environment what requests took:
the proxy (unless no_proxy names the host) and the CA bundle."""
import certifi
import urllib3

from lumiwork.client import Transport


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
