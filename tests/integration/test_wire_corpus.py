"""The wire corpus (tests/data/wire-corpus.json, made by tests/wire_corpus.py):
every request of API v4 and Compass it holds, replayed on a fresh server, must
be answered as recorded: same status, headers that matter, error codes and
messages, body shape and values (ids, tokens and clock times aside, floats
within a relative 1e-6). The entries tests/data/wire-corpus-changes.json lists
(deliberate changes, each with its reason) must be answered as that file says."""
from wire_corpus import (
    CHANGES_PATH,
    CORPUS_PATH,
    FORMAT,
    check_changes,
    compare,
    load,
    load_changes,
    report,
    run_sequence,
    sequence,
)


def test_the_corpus_holds_the_current_sequence():
    corpus = load(CORPUS_PATH)
    assert corpus["format"] == FORMAT
    assert [entry["name"] for entry in corpus["entries"]] == [step.name for step in sequence()], \
        "the sequence changed since the corpus was recorded: python -m tests.wire_corpus record"


def test_every_change_names_a_step_and_gives_its_reason():
    changes = load_changes(CHANGES_PATH)
    assert changes, f"{CHANGES_PATH} is missing or empty"
    assert not check_changes(changes), check_changes(changes)


def test_every_answer_equals_the_recorded_one(tmp_path, siddhartha_path):
    recorded = load(CORPUS_PATH)
    entries, _ = run_sequence(tmp_path, siddhartha_path)
    problems = compare(recorded["entries"], entries, load_changes(CHANGES_PATH))
    assert not problems, report(problems)
