"""What a notebook reads when it runs as a dashboard: `parameters`, `locked`, `choices`."""
from .notebook.dashboard import *  # noqa: F401,F403
from .notebook.dashboard import __all__  # noqa: F401
