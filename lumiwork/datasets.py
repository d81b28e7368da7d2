"""`lumiwork.datasets`, the public path of corpus loaders (`lumiwork.tools.datasets`)."""
from .tools.datasets import *  # noqa: F401,F403
from .tools.datasets import __all__  # noqa: F401
