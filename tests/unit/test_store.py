"""The SQLite store: permissions on disk, start-up hygiene, all-or-nothing
writes, a full database, topic order and document deletion, schema versions,
reads that never wait for the writer, and one server per data folder."""
import os
import sqlite3
import stat
import threading
import time

import pytest

from lumiwork.server.db import DataDirBusy, DataDirError, DataDirLock, StorageFull, Store
from lumiwork.server.db.database import MMAP_BYTES
from lumiwork.server.db.schema import VERSION


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def account(store):
    return store.accounts.create("acct")


@pytest.fixture
def project(store, account):
    return store.projects.create(account, "p", "someone")


def doc(doc_id, *subsets, text="Some words here."):
    return {"_id": doc_id, "text": text, "title": "", "subsets": list(subsets)}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_dir_and_database_are_private(store):
    assert mode(store.data_dir) == 0o700
    assert mode(store.data_dir / "lumiwork.sqlite3") == 0o600
    assert mode(store.data_dir / "secret.key") == 0o600
    for sidecar in store.data_dir.glob("lumiwork.sqlite3-*"):
        assert mode(sidecar) == 0o600


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_data_dir_is_one_line_error(tmp_path):
    tmp_path.joinpath("ro").mkdir(mode=0o500)
    with pytest.raises(DataDirError) as info:
        Store(tmp_path / "ro")
    assert "\n" not in str(info.value) and "ro" in str(info.value)


def test_unusable_data_dir_is_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DataDirError) as info:
        Store(blocker / "data")
    message = str(info.value)
    assert "\n" not in message and str(blocker) in message
    assert isinstance(info.value, OSError)


def test_orphaned_model_files_are_removed_at_start(tmp_path):
    store = Store(tmp_path / "data")
    account = store.accounts.create("acct")
    project = store.projects.create(account, "p", "someone")
    job = store.jobs.start(project)
    (store.models_dir / f"{project}-{job}.npz").write_bytes(b"model")
    store.jobs.finish(project, job, True)
    store.projects.set_model(project, f"{project}-{job}.npz", time.time())
    (store.models_dir / f"{project}-9.tmp.npz").write_bytes(b"half written")
    (store.models_dir / f"{project}-8.npz").write_bytes(b"never recorded")
    store.close()
    reopened = Store(tmp_path / "data")
    removed = reopened.remove_orphaned_model_files()
    assert sorted(p.name for p in reopened.models_dir.iterdir()) == [f"{project}-{job}.npz"]
    assert sorted(removed) == [f"{project}-8.npz", f"{project}-9.tmp.npz"]
    reopened.close()


def test_topic_positions_and_colours_are_not_reused_after_a_delete(store, project):
    first = store.topics.add(project, "a", "a", None)
    store.topics.add(project, "b", "b", None)
    store.topics.delete(project, first)
    store.topics.add(project, "c", "c", None)
    topics = store.topics.find(project)
    assert [t["name"] for t in topics] == ["b", "c"]
    assert topics[0]["color"] != topics[1]["color"]


def test_delete_docs_is_all_or_nothing_and_keeps_counts(store, project):
    store.docs.add(project, [doc("d1", "A"), doc("d2", "A", "B"), doc("d3")])
    assert store.docs.delete(project, ["d2", "nope"]) == ["nope"]
    assert store.docs.count(project) == 3
    assert store.docs.delete(project, ["d2", "d1"]) == []
    assert [d["_id"] for d in store.docs.page(project)] == ["d3"]
    assert store.docs.subset_counts(project) == {"__all__": 1}


def test_documents_read_through_the_memory_map_as_the_file_grows_and_shrinks(store, project):
    assert store.db._writer.execute("PRAGMA mmap_size").fetchone()[0] == MMAP_BYTES
    written = {}
    for batch in range(5):  # the file grows between reads
        docs = [doc(f"d{batch}-{i}", text=f"batch {batch} document {i} " * 20) for i in range(400)]
        store.docs.add(project, docs)
        written.update({d["_id"]: d["text"] for d in docs})
        found = store.docs.by_ids(project, list(written))
        assert {doc_id: d["text"] for doc_id, d in found.items()} == written
    gone = [doc_id for doc_id in written if doc_id.startswith(("d1-", "d3-"))]
    assert store.docs.delete(project, gone) == []
    store.db._writer.execute("VACUUM")  # the file shrinks under the map
    kept = {doc_id: text for doc_id, text in written.items() if doc_id not in gone}
    assert {d["_id"]: d["text"] for d in store.docs.page(project)} == kept


def test_full_database_rolls_back_the_whole_write(store, account, project):
    store.docs.add(project, [doc("d1")])
    before = store.docs.page(project), store.docs.subset_counts(project)
    pages = store.db._writer.execute("PRAGMA page_count").fetchone()[0]
    store.db._writer.execute(f"PRAGMA max_page_count = {pages}")  # the database may not grow: "full"
    big = [doc(f"n{i}", "S", text="word " * 2000) for i in range(20)]
    with pytest.raises(StorageFull):
        store.docs.add(project, big)
    assert (store.docs.page(project), store.docs.subset_counts(project)) == before
    assert store.projects.get(account, project)["name"] == "p"  # reads still work


def test_usage_of_unknown_accounts_is_not_recorded(store):
    account = store.accounts.create("acct")
    store.usage.add({(account, "2026-11", "regular"): 3, ("madeup00", "2026-11", "regular"): 5})
    store.usage.add({(account, "2026-11", "regular"): 2})
    assert store.usage.get(account, 2026, 11) == {"regular": 5}
    assert store.usage.get("madeup00", 2026, 11) == {}


def test_the_meter_holds_no_counts_for_made_up_accounts(store, monkeypatch):
    """Made-up account names in request paths must not pile up in memory while
    the counts cannot be written (a full disk makes every flush fail)."""
    from lumiwork.server.core.metering import Meter

    account = store.accounts.create("acct")
    meter = Meter(store)

    def disk_full(counts):
        raise StorageFull("database or disk is full")

    monkeypatch.setattr(store.usage, "add", disk_full)
    for i in range(1_000):
        meter.record(f"madeup{i:04d}", "regular")
        meter.record(account, "regular")
    meter.record(account, "failed")
    meter.flush()  # fails, and keeps the real account's counts for later
    period = next(iter(meter._pending))[1]
    assert meter.pending(account, period) == {"regular": 1_000, "billable": 1_000, "failed": 1}
    assert len(meter._pending) == 3


def test_long_lived_tokens_are_derived_and_stored_hashed(store):
    account = store.accounts.create("acct")
    store.create_user("u@example.com", "password one", account)
    issued = store.tokens.issue("u@example.com", "long_lived")
    listed = store.tokens.user_tokens("u@example.com")
    assert [t["token_id"] for t in listed] == [issued["token_id"]]
    assert issued["token"] not in str(store.db._writer.execute("SELECT * FROM tokens").fetchall())
    assert store.tokens.long_lived_token(listed[0]) == issued["token"]
    assert store.tokens.revoke_id("u@example.com", issued["token_id"])
    assert store.tokens.user(issued["token"]) is None
    assert not store.tokens.revoke_id("u@example.com", issued["token_id"])


def test_a_read_does_not_wait_for_a_write_transaction(store, project):
    """A token lookup (every authenticated request) answers while an upload's
    transaction holds the writer: reads have connections of their own."""
    store.create_user("u@example.com", "password one", None)
    token = store.tokens.issue("u@example.com", "long_lived")["token"]
    inside, release = threading.Event(), threading.Event()

    def long_write():
        with store.db.transaction() as tx:
            tx.execute("INSERT INTO topics VALUES (?, 0, 't', 'n', 'x', '#000')", (project,))
            inside.set()
            release.wait(10)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert inside.wait(10)
        started = time.monotonic()
        assert store.tokens.user(token) == "u@example.com"
        assert store.topics.find(project) == []  # the last committed state: the write is not in yet
        assert time.monotonic() - started < 1  # the writer still holds its transaction for seconds
    finally:
        release.set()
        writer.join()
    assert [t["name"] for t in store.topics.find(project)] == ["n"]


def test_transactions_nest_into_one(store, account):
    with pytest.raises(RuntimeError):
        with store.db.transaction():
            store.projects.create(account, "inner", "someone")  # its own transaction joins the outer one
            raise RuntimeError("the outer transaction fails")
    assert store.projects.find([account]) == []


def test_a_database_from_before_schema_versions_is_brought_up_to_date(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    old = sqlite3.connect(folder / "lumiwork.sqlite3")
    old.executescript("""
        CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, default_account TEXT);
        CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, type TEXT NOT NULL,
                             expiration REAL, created REAL NOT NULL);
        CREATE TABLE projects (project_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '', creator TEXT, creation_date REAL NOT NULL,
            last_update REAL NOT NULL, last_build REAL, model_file TEXT);
        INSERT INTO users VALUES ('first@example.com', 'x', NULL), ('second@example.com', 'y', NULL);
        INSERT INTO tokens VALUES ('hash', 'first@example.com', 'long_lived', NULL, 0);
        INSERT INTO projects VALUES ('p1', 'a1', 'old', '', 'first@example.com', 0, 0, NULL, NULL);
    """)
    old.commit()
    old.close()
    store = Store(folder)
    try:
        assert store.db._writer.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert [bool(u["admin"]) for u in store.users.all()] == [True, False]  # the first user is the admin
        assert store.projects.language("p1") == "en"
        assert store.db.read_one("SELECT token_id FROM tokens")["token_id"]
        assert store.compass_projects.find(None) == []  # Compass's tables exist too
    finally:
        store.close()
    again = Store(folder)  # a current database: nothing to do
    assert again.db._writer.execute("PRAGMA user_version").fetchone()[0] == VERSION
    again.close()


def test_stores_opened_at_once_on_a_new_folder_agree(tmp_path):
    """Two processes starting on one new data folder: one migration, one secret key."""
    folder = tmp_path / "data"
    stores, errors = [], []

    def open_one():
        try:
            stores.append(Store(folder))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(stores) == 4
    assert len({store.secret for store in stores}) == 1
    for store in stores:
        store.close()


def test_one_server_per_data_folder(tmp_path):
    folder = tmp_path / "data"
    held = DataDirLock(folder)
    held.note("http://127.0.0.1:1234/")
    with pytest.raises(DataDirBusy) as busy:
        DataDirLock(folder)
    message = str(busy.value)
    assert "\n" not in message and "http://127.0.0.1:1234/" in message and "--data-dir" in message
    held.release()
    DataDirLock(folder).release()  # free again


def test_a_closed_links_sessions_stay_a_while_then_go(store):
    now = time.time()
    links = store.share_links
    open_link = links.create("dash", "analyst", now + 3600, None, False, {}, 5)
    revoked = links.create("dash", "analyst", now + 3600, None, False, {}, 5)
    expired = links.create("dash", "analyst", now - 10, None, False, {}, 5)
    sessions = {name: links.open_session(link["link_id"], now)
                for name, link in (("open", open_link), ("revoked", revoked), ("expired", expired))}
    links.revoke(revoked["link_id"])
    links.forget_closed_sessions(now - 86400)  # closed less than a day ago: kept, to say why
    assert all(links.session(s) is not None for s in sessions.values())
    links.forget_closed_sessions(time.time() + 1)
    assert {name for name, s in sessions.items() if links.session(s) is not None} == {"open"}
