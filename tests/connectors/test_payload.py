"""The typed payload accessors: what they take as an object and as text, and what they refuse."""

import pytest

from connectors.base.payload import PayloadError, as_object, opt_text, text


class Name(str):
    """A string subclass: accepted wherever a string is."""


def test_objects_have_string_keys_only() -> None:
    assert as_object({}) == {}
    assert as_object({"a": 1}) == {"a": 1}
    assert as_object({Name("a"): 1}) == {"a": 1}
    for value in ({1: "a"}, {"a": 1, 2: "b"}, ["a"], "a"):
        with pytest.raises(PayloadError, match="is not an object"):
            as_object(value)


def test_text_is_a_string_present_and_optional_text_may_be_absent_or_empty() -> None:
    payload = {"s": "x", "sub": Name("y"), "empty": "", "none": None, "n": 1}
    assert text(payload, "s") == "x"
    assert text(payload, "sub") == "y"
    assert text(payload, "empty") == ""
    with pytest.raises(PayloadError, match="'none' is NoneType, expected str"):
        text(payload, "none")
    with pytest.raises(PayloadError, match="'n' is int, expected str"):
        text(payload, "n")
    with pytest.raises(PayloadError, match="'gone' is missing"):
        text(payload, "gone")
    assert [opt_text(payload, key) for key in ("s", "sub", "empty", "none", "gone")] == [
        "x",
        "y",
        None,
        None,
        None,
    ]
    with pytest.raises(PayloadError, match="'n' is int, expected str"):
        opt_text(payload, "n")
