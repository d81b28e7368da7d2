"""The analyst's side of the Compass API: a client, DataFrames, figures and a widget."""
from .client import CompassClient, local_compass_url

__all__ = ["CompassClient", "local_compass_url"]
