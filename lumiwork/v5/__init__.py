"""The analyst's side of API v5 (public path): the client, and the notebook
layer's frames, plots and widgets for API v5.

    from lumiwork import v5
    client = v5.V5Client.connect()                 # the local server, or $LUMIWORK_URL's
    project = v5.reviews_project(client)           # the reviews demo, built on first use
    v5.frames.score_drivers(project, "rating")
"""
from ..client.v5 import V5Client
from ..notebook.v5 import frames, plots, widgets
from ..tools.demo import build_reviews_project as reviews_project
from ..wire.names import local_v5_url

__all__ = ["V5Client", "frames", "local_v5_url", "plots", "reviews_project", "widgets"]
