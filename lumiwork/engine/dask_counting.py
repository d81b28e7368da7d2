"""The counting stage on a dask.distributed cluster (optional: ``pip install lumiwork[dask]``).

`DaskRunner` maps counting.py's chunk functions over chunks with
``Client.map``; the chunks' words and occurrences stay on the workers between
the phases, and only vocabularies, counts and partial matrices come back to the
driver, which makes the corpus-wide decisions (phrases, vocabulary, term ids)
exactly as in process. Every sum is of integers, so the model is the same bit
for bit whichever worker counted which chunk.

Choosing it: ``build_model(..., counting="dask")`` (the server's setting
LUMIWORK_COUNTING=dask); the cluster is ``dask_client=`` if given, else
``dask_scheduler=`` (LUMIWORK_DASK_SCHEDULER): a scheduler address
(``tcp://host:8786``; its workers need lumiwork installed) or ``local`` (the
default), a LocalCluster with one single-threaded worker process per core,
started once per process. Tokenizing holds the GIL, so processes, not
threads, are what run chunks side by side.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from distributed import Client, LocalCluster

_local: dict[str, Any] = {}
_lock = threading.Lock()


def shared_client(address: str = "local") -> Client:
    """A client for the scheduler at `address`, or for "local" a LocalCluster
    started on first use and kept for this process (starting one takes seconds)."""
    with _lock:
        client = _local.get(address)
        if client is None or client.status in ("closing", "closed"):
            if address == "local":
                cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
                client = Client(cluster)
            else:
                client = Client(address)
            _local[address] = client
        return client


def close_shared_clients() -> None:
    """Close the clients (and LocalClusters) `shared_client` started."""
    with _lock:
        for client in _local.values():
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
        _local.clear()


class DaskRunner:
    """counting.Runner on dask: handles are futures, shared values are
    broadcast to every worker once."""

    def __init__(self, client: Client | None = None):
        self.client = client if client is not None else shared_client()

    def scatter(self, items: list) -> list:
        # hash=False: hashing 1M documents' text to name the futures costs seconds
        return self.client.scatter(items, hash=False)

    def map(self, fn: Callable, *iterables: Iterable, **shared: Any) -> list:
        return self.client.map(fn, *(list(items) for items in iterables), pure=False, **shared)

    def share(self, value: Any) -> Any:
        return self.client.scatter([value], broadcast=True, hash=False)[0]

    def results(self, handles: list) -> Iterator:
        """Results in chunk order, each fetched when its chunk is done and
        dropped from the cluster once fetched."""
        for future in handles:
            yield future.result()
            future.release()

    def release(self, handles: list) -> None:
        for future in handles:
            future.release()
        handles.clear()
