"""Strict YAML loading and one-line validation errors (archsim.config.yamlio)."""

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, PositiveInt

from archsim.config.yamlio import deep_merge, load_with_base, load_yaml, parse_yaml, validate
from archsim.errors import UserError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Inner(_Strict):
    count: PositiveInt
    mode: Literal["fast", "slow"]


class Outer(_Strict):
    name: str
    inner: Inner
    items: dict[str, Inner] = {}


def _error(fn: Callable[..., object], *args: object) -> str:
    with pytest.raises(UserError) as info:
        fn(*args)
    message = str(info.value)
    assert "\n" not in message  # always one line
    return message


def test_duplicate_key_names_file_line_and_key(tmp_path: Path) -> None:
    f = tmp_path / "dup.yaml"
    f.write_text("a: 1\nb:\n  c: 2\n  c: 3\n")
    assert _error(load_yaml, f) == f"{f}:4: duplicate key 'c'"


def test_duplicate_top_level_key(tmp_path: Path) -> None:
    f = tmp_path / "dup.yaml"
    f.write_text("name: x\nother: 1\nname: y\n")
    assert _error(load_yaml, f) == f"{f}:3: duplicate key 'name'"


def test_syntax_error_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("a: 1\nb: [1, 2\nc: 3\n")
    message = _error(load_yaml, f)
    assert message.startswith(f"{f}:")
    assert "YAML syntax error" in message
    line = int(message.split(":")[1])
    assert line in (2, 3)  # where the unclosed list is reported


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "file is empty"), ("- 1\n- 2\n", "expected a mapping of keys at the top level")],
)
def test_empty_or_non_mapping_file(text: str, expected: str) -> None:
    assert _error(parse_yaml, text, "x.yaml") == f"x.yaml: {expected}"


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert _error(load_yaml, missing) == f"{missing}: file not found"


def test_deep_merge_replaces_leaves_and_merges_mappings() -> None:
    base = {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "f": [1, 2]}
    override = {"a": {"c": {"e": 30}}, "f": [9]}
    assert deep_merge(base, override) == {"a": {"b": 1, "c": {"d": 2, "e": 30}}, "f": [9]}
    assert base["a"]["c"]["e"] == 3  # inputs are not modified


def _resolver(name: str, referrer: Path) -> Path:
    return referrer.parent / f"{name}.yaml"


def test_base_chain_merges_from_the_deepest(tmp_path: Path) -> None:
    (tmp_path / "root.yaml").write_text("x: 1\ny: {p: 1, q: 2}\n")
    (tmp_path / "mid.yaml").write_text("base: root\ny: {q: 20}\n")
    (tmp_path / "top.yaml").write_text("base: mid\nx: 3\n")
    merged = load_with_base(tmp_path / "top.yaml", _resolver, own_defaults={"z": "top"})
    assert merged == {"x": 3, "y": {"p": 1, "q": 20}, "z": "top"}


def test_base_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: b\n")
    (tmp_path / "b.yaml").write_text("base: a\n")
    message = _error(load_with_base, tmp_path / "a.yaml", _resolver)
    assert message == f"{tmp_path / 'a.yaml'}: 'base' chain has a cycle: a -> b -> a"


def test_self_base_is_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: a\n")
    assert "cycle: a -> a" in _error(load_with_base, tmp_path / "a.yaml", _resolver)


GOOD = {"name": "n", "inner": {"count": 2, "mode": "fast"}}


def test_validate_returns_the_model() -> None:
    model = validate(Outer, GOOD, "f.yaml")
    assert model.inner.count == 2


def test_unknown_key_names_path_and_allowed_keys() -> None:
    data = {**GOOD, "inner": {"count": 2, "mode": "fast", "colour": 1}}
    assert _error(validate, Outer, data, "f.yaml") == (
        "f.yaml: inner.colour: unknown key (allowed: count, mode)"
    )


def test_unknown_key_inside_a_dict_of_models() -> None:
    data = {**GOOD, "items": {"k": {"count": 1, "mode": "slow", "extra": 0}}}
    assert _error(validate, Outer, data, "f.yaml") == (
        "f.yaml: items.k.extra: unknown key (allowed: count, mode)"
    )


def test_typo_reports_the_unknown_key_before_the_missing_one() -> None:
    data = {**GOOD, "inner": {"cuont": 2, "mode": "fast"}}
    assert _error(validate, Outer, data, "f.yaml") == (
        "f.yaml: inner.cuont: unknown key (allowed: count, mode) (+1 more)"
    )


def test_literal_error_lists_allowed_values() -> None:
    data = {**GOOD, "inner": {"count": 2, "mode": "medium"}}
    assert _error(validate, Outer, data, "f.yaml") == (
        "f.yaml: inner.mode: must be 'fast' or 'slow', got 'medium'"
    )


def test_wrong_type_and_bound_errors_show_the_value() -> None:
    data = {**GOOD, "inner": {"count": "two", "mode": "fast"}}
    assert _error(validate, Outer, data, "f.yaml") == (
        "f.yaml: inner.count: Input should be a valid integer, got 'two'"
    )
    data = {**GOOD, "inner": {"count": -3, "mode": "fast"}}
    assert _error(validate, Outer, data, "f.yaml") == (
        "f.yaml: inner.count: Input should be greater than 0, got -3"
    )


def test_several_errors_report_the_first_and_count_the_rest() -> None:
    data = {"name": "n", "inner": {"count": 0, "mode": "x"}}
    assert _error(validate, Outer, data, "f.yaml") == (
        "f.yaml: inner.count: Input should be greater than 0, got 0 (+1 more)"
    )


def test_missing_key() -> None:
    assert _error(validate, Outer, {"inner": GOOD["inner"]}, "f.yaml") == (
        "f.yaml: name: required key is missing"
    )
