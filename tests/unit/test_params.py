"""Parameter parsing and strict JSON: every bad value is an ApiError 400 naming
the parameter, never another exception."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lumiwork.server.core.errors import ApiError
from lumiwork.server.core.jsonstrict import loads_strict
from lumiwork.server.core.limits import INT64_MAX, MAX_JSON_DEPTH
from lumiwork.server.core.params import Params

ANY_VALUE = st.one_of(
    st.text(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.none(), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(value=ANY_VALUE)
def test_integer_accepts_only_plain_int64_numbers(value):
    params = Params({"limit": value})
    try:
        number = params.integer("limit")
    except ApiError as error:
        assert error.status == 400 and "'limit'" in error.message
        return
    if value is None or value == "":
        assert number is None
        return
    assert isinstance(number, int) and not isinstance(number, bool)
    assert -INT64_MAX - 1 <= number <= INT64_MAX
    assert number == (value if isinstance(value, int) else int(value.strip()))


@pytest.mark.parametrize("value", ["true", "1e2", "Infinity", "NaN", "1.0", "²", "٣", "0x10",
                                   str(2**63), "9" * 24, True, 1.5, [1]])
def test_integer_refuses(value):
    with pytest.raises(ApiError) as info:
        Params({"offset": value}).integer("offset")
    assert info.value.code == "INVALID_PARAMETER" and "offset" in info.value.message


def test_integer_bounds_are_named():
    with pytest.raises(ApiError, match="at most 10"):
        Params({"limit": "11"}).integer("limit", maximum=10)
    with pytest.raises(ApiError, match="at least 0"):
        Params({"limit": "-1"}).integer("limit", minimum=0)


@settings(max_examples=300)
@given(text=st.text())
def test_strict_json_raises_only_api_errors(text):
    try:
        loads_strict(text)
    except ApiError as error:
        assert error.status == 400 and error.code == "INVALID_JSON"


@settings(max_examples=200)
@given(value=st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1)
                          | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
                          lambda children: st.lists(children, max_size=3)
                          | st.dictionaries(st.text(max_size=3), children, max_size=3),
                          max_leaves=20))
def test_strict_json_round_trips_what_answers_can_carry(value):
    # Hypothesis's text() has no lone surrogates, so every such value is valid
    assert loads_strict(json.dumps(value)) == value


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "-1e400",
                                  str(2**63), str(-2**63 - 1), '"\\ud800"', '{"\\udfff": 1}',
                                  "[" * 5000 + "]" * 5000, "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
                                  '{"a":' * 3000 + "1" + "}" * 3000, "[1,", "\xff"])
def test_strict_json_refuses_what_no_answer_can_carry(text):
    with pytest.raises(ApiError) as info:
        loads_strict(text)
    assert info.value.code == "INVALID_JSON"


def test_strict_json_keeps_the_int64_edges():
    assert loads_strict(f"[{2**63 - 1}, {-2**63}]") == [2**63 - 1, -2**63]


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "x\ud800", "\x7f", "tab\there"])
def test_strings_refuse_control_characters_and_surrogates(value):
    with pytest.raises(ApiError) as info:
        Params({"name": value}).string("name")
    assert "'name'" in info.value.message


def test_multiline_text_keeps_tabs_and_newlines_but_not_other_controls():
    params = Params({"text": "one\ttwo\nthree\r\n", "bad": "one\x00two"})
    assert params.string("text", multiline=True) == "one\ttwo\nthree\r\n"
    with pytest.raises(ApiError):
        params.string("bad", multiline=True)


def test_string_length_limit_is_named():
    with pytest.raises(ApiError) as info:
        Params({"name": "x" * 201}).string("name", limit="project name")
    assert info.value.code == "TOO_LONG" and "200" in info.value.message


@pytest.mark.parametrize("value", ["null", "[null]", "[1, 2]", "{}", "3", '["a", ["b"]]'])
def test_string_list_refuses_non_strings(value):
    with pytest.raises(ApiError) as info:
        Params({"terms": value}).string_list("terms")
    assert "'terms'" in info.value.message


def test_string_list_accepts_a_string_or_a_json_list():
    assert Params({"terms": "river|en"}).string_list("terms") == ["river|en"]
    assert Params({"terms": '["a|en", "b|en"]'}).string_list("terms") == ["a|en", "b|en"]
    assert Params({}).string_list("terms") is None


@pytest.mark.parametrize("value,expected", [("True", True), ("false", False), ("1", True),
                                            ("", False), (True, True), (0, False)])
def test_boolean_is_lenient_about_spelling(value, expected):
    assert Params({"flag": value}).boolean("flag") is expected


@pytest.mark.parametrize("value", ["maybe", [True], {"a": 1}, 2.5])
def test_boolean_refuses_other_values(value):
    with pytest.raises(ApiError):
        Params({"flag": value}).boolean("flag")


@pytest.mark.parametrize("value", ["[2014]", "[2014, 4.5]", "[true, 4]", "null x", "2014"])
def test_int_pair_refuses(value):
    with pytest.raises(ApiError):
        Params({"billing_period": value}).int_pair("billing_period")
