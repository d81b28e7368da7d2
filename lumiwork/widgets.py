"""`lumiwork.widgets`, the public path of the v4 panels (`lumiwork.notebook.v4.widgets`)."""
from .notebook.v4.widgets import *  # noqa: F401,F403
from .notebook.v4.widgets import __all__  # noqa: F401
