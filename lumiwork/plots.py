"""`lumiwork.plots`, the public path of the v4 figures (`lumiwork.notebook.v4.plots`)."""
from .notebook.v4.plots import *  # noqa: F401,F403
from .notebook.v4.plots import __all__  # noqa: F401
