"""Store: the server's data folder, its database and one repository per resource.

The folder is 0700 and the database 0600: it holds password and token hashes
and the users' documents. Built models live as files beside the database (in
``models/``); the database records which file is each project's current model.

Operations that span resources (deleting a project, renaming a user) are here,
each one transaction over the repositories it touches.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path

from ..core import auth
from .accounts import AccountRepository
from .alerts import AlertRepository
from .channels import ChannelRepository
from .compass_classifiers import ClassifierRepository
from .compass_config import CompassConfigRepository
from .compass_documents import CompassDocumentRepository
from .compass_messages import MessageRepository
from .compass_projects import CompassProjectRepository
from .compass_topics import CompassTopicRepository
from .compass_usage import CompassUsageRepository
from .concept_lists import ConceptListRepository
from .dashboards import DashboardRepository
from .database import Database, DataDirError
from .documents import DocumentRepository
from .ignorelist import IgnoreListRepository
from .jobs import JobRepository
from .metadata import MetadataRepository
from .outbox import OutboxRepository
from .paths import prepare_private_dir
from .projects import ProjectRepository
from .runs import RunRepository, ScheduleRepository
from .schema import migrate
from .share_links import ShareLinkRepository
from .tokens import TokenRepository
from .topics import TopicRepository
from .usage import UsageRepository
from .users import UserRepository

DB_NAME = "lumiwork.sqlite3"
SECRET_NAME = "secret.key"


def load_secret(path: Path) -> bytes:
    """The server's key for deriving long-lived tokens (a 0600 file, kept apart
    from the database so a copy of the database reveals no token). Made once,
    atomically: two servers starting on one new folder agree on it."""
    try:
        secret = path.read_bytes()
        if secret:
            return secret
    except FileNotFoundError:
        pass
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if another process made it first: then theirs counts
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_bytes()


class Store:
    """All persistent state of one server; safe to share between threads."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.models_dir = self.data_dir / "models"
        self.dashboards_dir = self.data_dir / "dashboards"
        prepare_private_dir(self.data_dir)
        prepare_private_dir(self.models_dir)
        self.db_path = self.data_dir / DB_NAME
        try:
            self.db = Database(self.db_path)
            with self.db.transaction():
                pass  # the writer works (a read-only folder fails here, not in a request)
            assert self.db._writer is not None
            migrate(self.db._writer)
        except (OSError, sqlite3.Error) as exc:
            raise DataDirError(f"cannot open the database in {self.data_dir}: "
                               f"{getattr(exc, 'strerror', None) or exc}") from None
        self.secret = load_secret(self.data_dir / SECRET_NAME)
        db = self.db
        self.accounts = AccountRepository(db)
        self.users = UserRepository(db)
        self.tokens = TokenRepository(db, self.secret)
        self.projects = ProjectRepository(db)
        self.docs = DocumentRepository(db, self.projects)
        self.topics = TopicRepository(db)
        self.ignorelist = IgnoreListRepository(db)
        self.jobs = JobRepository(db)
        self.usage = UsageRepository(db)
        self.metadata = MetadataRepository(db)
        self.concept_lists = ConceptListRepository(db)
        self.compass_projects = CompassProjectRepository(db)
        self.compass_documents = CompassDocumentRepository(db)
        self.compass_config = CompassConfigRepository(db)
        self.compass_usage = CompassUsageRepository(db)
        self.messages = MessageRepository(db, self.compass_projects, self.compass_usage)
        self.compass_topics = CompassTopicRepository(db, self.compass_projects, self.messages)
        self.classifiers = ClassifierRepository(db)
        self.dashboards = DashboardRepository(db)
        self.share_links = ShareLinkRepository(db)
        self.schedules = ScheduleRepository(db)
        self.runs = RunRepository(db)
        self.channels = ChannelRepository(db)
        self.alerts = AlertRepository(db)
        self.outbox = OutboxRepository(db)

    def close(self) -> None:
        self.db.close()

    # ---- operations across resources ---------------------------------------------------------
    def create_user(self, username: str, password: str, account_id: str | None,
                    permissions: tuple[str, ...] | list[str] = auth.PERMISSIONS, admin: bool = False) -> None:
        with self.db.transaction():
            self.users.create(username, password, account_id, admin)
            if account_id is not None:
                self.accounts.set_member(account_id, username, list(permissions))

    def set_password(self, username: str, password: str, must_reset: bool = False) -> None:
        """A new password (`must_reset`: a temporary one); every token issued before it stops working."""
        with self.db.transaction():
            self.users.set_password(username, password, must_reset)
            self.tokens.delete_for_user(username)

    def rename_user(self, old: str, new: str) -> None:
        """A new user name (email), carrying memberships and tokens along."""
        with self.db.transaction():
            self.users.rename(old, new)
            self.accounts.rename_member(old, new)
            self.tokens.rename_user(old, new)

    def delete_user(self, username: str) -> None:
        with self.db.transaction():
            self.users.delete(username)
            self.accounts.remove_member(username)
            self.tokens.delete_for_user(username)

    def delete_account(self, account_id: str) -> None:
        with self.db.transaction():
            self.accounts.delete(account_id)
            self.users.clear_default_account(account_id)

    def delete_project(self, project_id: str) -> None:
        """A project (API v4 and v5) and everything of it, its model files included."""
        with self.db.transaction():
            self.projects.delete(project_id)
            self.docs.delete_project(project_id)
            self.topics.delete_project(project_id)
            self.ignorelist.delete_project(project_id)
            self.jobs.delete_project(project_id)
            self.concept_lists.delete_project(project_id)
            self.metadata.delete_project(project_id)
        for path in self.models_dir.glob(f"{project_id}-*.npz"):
            path.unlink(missing_ok=True)

    def delete_compass_project(self, project_id: str) -> None:
        """A Compass project and everything of it (its space files: see CompassWork)."""
        with self.db.transaction():
            self.compass_projects.delete(project_id)
            self.compass_documents.delete_project(project_id)
            self.classifiers.delete_project(project_id)
            self.messages.delete_project(project_id)
            self.compass_topics.delete_project(project_id)
            self.compass_config.delete_project(project_id)
            self.compass_usage.delete_project(project_id)

    def delete_dashboard(self, dashboard_id: str) -> None:
        """A dashboard, its links (their viewers' sessions end), schedules, runs and
        token; its files are the caller's to remove."""
        dashboard = self.dashboards.get(dashboard_id)
        if dashboard is None:
            return
        with self.db.transaction():
            self.share_links.delete_dashboard(dashboard_id)
            self.schedules.delete_dashboard(dashboard_id)
            self.runs.delete_dashboard(dashboard_id)
            self.tokens.revoke_scoped(dashboard["token_id"])
            self.dashboards.delete(dashboard_id)
    def delete_channel(self, channel_id: str) -> None:
        """A channel and its notifications, delivered or not."""
        with self.db.transaction():
            self.channels.delete(channel_id)
            self.outbox.delete_channel(channel_id)

    def remove_orphaned_model_files(self) -> list[str]:
        """Temporary files of killed builds, and API v4 model files no project uses
        (a build that died between writing its file and recording it). Only a
        server that holds the data folder's lock may call this."""
        in_use = self.projects.model_files()
        removed = []
        for path in self.models_dir.iterdir():
            if path.name.endswith(".tmp.npz") or (path.suffix == ".npz" and path.name not in in_use):
                path.unlink(missing_ok=True)
                removed.append(path.name)
        return removed
