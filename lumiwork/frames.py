"""`lumiwork.frames`, the public path of the v4 frames (`lumiwork.notebook.v4.frames`)."""
from .notebook.v4.frames import *  # noqa: F401,F403
from .notebook.v4.frames import __all__  # noqa: F401
