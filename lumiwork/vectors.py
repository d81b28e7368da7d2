"""`lumiwork.vectors`, the public path of pack64 and vector helpers (`lumiwork.notebook.vectors`)."""
from .notebook.vectors import *  # noqa: F401,F403
from .notebook.vectors import __all__  # noqa: F401
