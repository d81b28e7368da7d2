"""The SQLite store: permissions on disk, start-up hygiene, all-or-nothing
writes, a full database, topic order and document deletion."""
import os
import stat

import pytest

from lumiwork.server.store import MMAP_BYTES, DataDirError, StorageFull, Store


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def account(store):
    return store.create_account("acct")


@pytest.fixture
def project(store, account):
    return store.create_project(account, "p", "someone")


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
    account = store.create_account("acct")
    project = store.create_project(account, "p", "someone")
    job = store.start_job(project)
    (store.models_dir / f"{project}-{job}.npz").write_bytes(b"model")
    store.finish_job(project, job, success=True, model_file=f"{project}-{job}.npz")
    (store.models_dir / f"{project}-9.tmp.npz").write_bytes(b"half written")
    (store.models_dir / f"{project}-8.npz").write_bytes(b"never recorded")
    store.close()
    reopened = Store(tmp_path / "data")
    assert sorted(p.name for p in reopened.models_dir.iterdir()) == [f"{project}-{job}.npz"]
    assert sorted(reopened.removed_files) == [f"{project}-8.npz", f"{project}-9.tmp.npz"]
    reopened.close()


def test_topic_positions_and_colours_are_not_reused_after_a_delete(store, project):
    first = store.add_topic(project, "a", "a", None)
    store.add_topic(project, "b", "b", None)
    store.delete_topic(project, first)
    store.add_topic(project, "c", "c", None)
    topics = store.topics(project)
    assert [t["name"] for t in topics] == ["b", "c"]
    assert topics[0]["color"] != topics[1]["color"]


def test_delete_docs_is_all_or_nothing_and_keeps_counts(store, project):
    store.add_docs(project, [doc("d1", "A"), doc("d2", "A", "B"), doc("d3")])
    assert store.delete_docs(project, ["d2", "nope"]) == ["nope"]
    assert store.doc_count(project) == 3
    assert store.delete_docs(project, ["d2", "d1"]) == []
    assert [d["_id"] for d in store.docs(project)] == ["d3"]
    assert store.subset_counts(project) == {"__all__": 1}


def test_documents_read_through_the_memory_map_as_the_file_grows_and_shrinks(store, project):
    assert store._db.execute("PRAGMA mmap_size").fetchone()[0] == MMAP_BYTES
    written = {}
    for batch in range(5):  # the file grows between reads
        docs = [doc(f"d{batch}-{i}", text=f"batch {batch} document {i} " * 20) for i in range(400)]
        store.add_docs(project, docs)
        written.update({d["_id"]: d["text"] for d in docs})
        found = store.docs_by_id(project, list(written))
        assert {doc_id: d["text"] for doc_id, d in found.items()} == written
    gone = [doc_id for doc_id in written if doc_id.startswith(("d1-", "d3-"))]
    assert store.delete_docs(project, gone) == []
    store._db.execute("VACUUM")  # the file shrinks under the map
    kept = {doc_id: text for doc_id, text in written.items() if doc_id not in gone}
    assert {d["_id"]: d["text"] for d in store.docs(project)} == kept


def test_full_database_rolls_back_the_whole_write(store, account, project):
    store.add_docs(project, [doc("d1")])
    before = store.docs(project), store.subset_counts(project)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # the database may not grow: "full"
    big = [doc(f"n{i}", "S", text="word " * 2000) for i in range(20)]
    with pytest.raises(StorageFull):
        store.add_docs(project, big)
    assert (store.docs(project), store.subset_counts(project)) == before
    assert store.project(account, project)["name"] == "p"  # reads still work


def test_usage_of_unknown_accounts_is_not_recorded(store):
    account = store.create_account("acct")
    store.add_usage({(account, "2026-11", "regular"): 3, ("madeup00", "2026-11", "regular"): 5})
    store.add_usage({(account, "2026-11", "regular"): 2})
    assert store.usage(account, 2026, 11) == {"regular": 5}
    assert store.usage("madeup00", 2026, 11) == {}


def test_the_meter_holds_no_counts_for_made_up_accounts(store, monkeypatch):
    """Made-up account names in request paths must not pile up in memory while
    the counts cannot be written (a full disk makes every flush fail)."""
    from lumiwork.server.http import Meter

    account = store.create_account("acct")
    meter = Meter(store)

    def disk_full(counts):
        raise StorageFull("database or disk is full")

    monkeypatch.setattr(store, "add_usage", disk_full)
    for i in range(1_000):
        meter.record(f"madeup{i:04d}", "regular")
        meter.record(account, "regular")
    meter.record(account, "failed")
    meter.flush()  # fails, and keeps the real account's counts for later
    period = next(iter(meter._pending))[1]
    assert meter.pending(account, period) == {"regular": 1_000, "billable": 1_000, "failed": 1}
    assert len(meter._pending) == 3


def test_long_lived_tokens_are_derived_and_stored_hashed(store):
    account = store.create_account("acct")
    store.create_user("u@example.com", "password one", account)
    issued = store.issue_token("u@example.com", "long_lived")
    listed = store.user_tokens("u@example.com")
    assert [t["token_id"] for t in listed] == [issued["token_id"]]
    assert issued["token"] not in str(store._db.execute("SELECT * FROM tokens").fetchall())
    assert store.long_lived_token(listed[0]) == issued["token"]
    assert store.revoke_token_id("u@example.com", issued["token_id"])
    assert store.token_user(issued["token"]) is None
    assert not store.revoke_token_id("u@example.com", issued["token_id"])
