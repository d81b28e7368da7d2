"""The semantic engine: text -> terms -> vectors -> statistics. Knows nothing of HTTP."""
from .model import ALL_SUBSET, STAGES, BuildError, Model, build_model

__all__ = ["ALL_SUBSET", "STAGES", "BuildError", "Model", "build_model"]
