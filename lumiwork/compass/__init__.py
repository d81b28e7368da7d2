"""The analyst's side of the Compass API (public path): the client, and the
notebook layer's frames, plots and widgets for Compass."""
from ..client.compass import CompassClient
from ..notebook.compass import frames, plots, widgets
from ..wire.names import local_compass_url

__all__ = ["CompassClient", "frames", "local_compass_url", "plots", "widgets"]
