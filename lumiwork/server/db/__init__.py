"""The server's persistent state: `Database` (connections, transactions,
schema version), one repository per resource, and `Store`, which holds them
for one data folder. Importable without the web stack (the build process
reads documents through it)."""
from .database import Database, DataDirError, StorageFull
from .lock import DataDirBusy, DataDirLock
from .store import Store

__all__ = ["DataDirBusy", "DataDirError", "DataDirLock", "Database", "StorageFull", "Store"]
