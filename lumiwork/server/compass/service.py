"""Compass's shared state on the server: its store, authentication, and (in
`work.py`) each project's semantic space, classifiers and clustering."""
from __future__ import annotations

from pathlib import Path

from ..jobs import BackgroundProvider
from ..store import Store
from .access import authenticate
from .store import CompassStore
from .work import CompassWork


class CompassService:
    """Everything Compass requests share; one per server."""

    def __init__(self, store: Store, models_dir: Path, background: BackgroundProvider):
        self.base = store
        self.store = CompassStore(store)
        self.models_dir = Path(models_dir) / "compass"
        self.models_dir.mkdir(mode=0o700, exist_ok=True)
        for orphan in self.models_dir.glob("*.tmp.npz"):  # left by a build that was killed
            orphan.unlink(missing_ok=True)
        self.work = CompassWork(self.store, self.models_dir, background)

    def close(self) -> None:
        self.work.stop()

    def authenticate(self, authorization: str) -> str:
        return authenticate(self.base, authorization)

    def all_usernames(self) -> list[str]:
        return [user["username"] for user in self.base.users()]

    def forget_project(self, project_id: str) -> None:
        self.store.delete_project(project_id)
        self.work.forget_project(project_id)
        for path in self.models_dir.glob(f"{project_id}-*"):
            path.unlink(missing_ok=True)
