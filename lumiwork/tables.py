"""`lumiwork.tables`, the public path of readable tables (`lumiwork.notebook.tables`)."""
from .notebook.tables import *  # noqa: F401,F403
from .notebook.tables import __all__  # noqa: F401
