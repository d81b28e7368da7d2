"""The dask test: the counting stage on a dask.distributed LocalCluster of two
worker processes builds exactly the model the in-process path builds."""
import numpy as np
import pytest
from distributed import Client, LocalCluster

from lumiwork.datasets import siddhartha
from lumiwork.engine import build_model, counting, dask_counting
from lumiwork.vectors import unpack


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def documents(siddhartha_path):
    return [{**doc, "_id": f"d{i}"} for i, doc in enumerate(siddhartha(siddhartha_path))]


@pytest.fixture(scope="module")
def in_process(documents):
    return build_model(documents)


def assert_same_model(mine, theirs):
    assert mine.terms == theirs.terms and mine.texts == theirs.texts
    for name in ("counts", "doc_counts", "scores", "idf", "term_vectors", "doc_vectors", "doc_lengths",
                 "subset_means"):
        np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name), err_msg=name)
    assert (mine.doc_terms != theirs.doc_terms).nnz == 0


def test_dask_counting_builds_the_in_process_model(cluster, documents, in_process, monkeypatch):
    # five chunks over two workers, against one chunk in process
    monkeypatch.setattr(counting, "CHUNK_DOCS", 300)
    with Client(cluster) as client:
        on_dask = build_model(documents, dask_client=client)
    assert_same_model(on_dask, in_process)


def test_arguments_select_dask_and_the_scheduler(cluster, documents, in_process, monkeypatch):
    monkeypatch.setattr(counting, "CHUNK_DOCS", 400)
    seen = []
    original = dask_counting.DaskRunner.map

    def counting_map(self, fn, *iterables, **shared):
        seen.append(fn.__name__)
        return original(self, fn, *iterables, **shared)

    monkeypatch.setattr(dask_counting.DaskRunner, "map", counting_map)
    try:
        on_dask = build_model(documents, counting="dask", dask_scheduler=cluster.scheduler_address)
    finally:
        dask_counting.close_shared_clients()
    assert "tokenize_chunk" in seen and "count_chunk" in seen
    assert_same_model(on_dask, in_process)


def test_the_server_counts_on_dask_when_configured(tmp_path, documents, monkeypatch):
    """`LUMIWORK_COUNTING=dask` with a scheduler, as the server starts, reaches its
    build process, which counts on that scheduler (a cluster of its own, so the
    tasks it saw are this build's) and gives the project the model it has without."""
    from lumiwork.client import LuminosoClient
    from lumiwork.server import EmbeddedServer

    def build_and_read_terms(name: str):
        with EmbeddedServer(tmp_path / name, token_file=tmp_path / "tokens.json", password="dask pw") as server:
            account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}/",
                                             token=server.token)
            project = account.change_path(account.post("", name="dask counting")["project_id"])
            project.upload("docs", [{"text": doc["text"], "subsets": doc["subsets"]} for doc in documents[:400]])
            project.wait_for(project.post("docs/recalculate"), interval=0.1)
            return {t["term"]: (t["total_doc_count"], t["distinct_doc_count"], t["text"], unpack(t["vector"]))
                    for t in project.get("terms", limit=50000)}

    in_process = build_and_read_terms("local")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        monkeypatch.setenv("LUMIWORK_COUNTING", "dask")
        monkeypatch.setenv("LUMIWORK_DASK_SCHEDULER", cluster.scheduler_address)
        on_dask = build_and_read_terms("dask")
        with Client(cluster) as client:
            prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert {"tokenize_chunk", "count_chunk"} <= set(prefixes)
    assert on_dask.keys() == in_process.keys() and len(in_process) > 100
    for term, (*counts, vector) in in_process.items():
        assert on_dask[term][:3] == tuple(counts), term
        # Counts are equal bit for bit (see above); float32 BLAS in another process
        # (distributed imported, memory laid out differently) may round differently.
        np.testing.assert_allclose(on_dask[term][3], vector, atol=1e-5, err_msg=term)
