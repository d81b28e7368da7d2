"""subsets/: each subset's document count and mean vector."""
from __future__ import annotations

import numpy as np
from starlette.routing import Route

from ...wire import pack64 as packing
from ..core.pipeline import Call, endpoint
from .lookups import get_model, get_project


def subset_stats(call: Call) -> list[dict]:
    model = get_model(call, get_project(call))
    means = packing.pack_many(model.subset_means.astype(np.float64))
    return [{"subset": name, "count": int(count), "mean": mean}
            for name, count, mean in zip(model.subset_names, model.subset_counts, means)]


routes = [
    Route("/projects/{account}/{project}/subsets/stats/", endpoint(subset_stats), methods=["GET"]),
]
