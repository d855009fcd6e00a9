"""Invariants of the strict YAML loader and the `base:` merge, and its bounds on hostile input.

The loader must give back exactly what a plain YAML dump wrote (nothing dropped, nothing
coerced), find a duplicate key at any depth on the right line, and refuse an alias bomb or an
oversized file before doing real work; `deep_merge` must let the override win leaf by leaf and
keep every key it does not name.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.config.hardware import hardware_digest, load_hardware, with_overrides
from archsim.config.yamlio import (
    MAX_EXPANDED_NODES,
    MAX_FILE_BYTES,
    deep_merge,
    load_with_base,
    load_yaml,
    parse_yaml,
)
from archsim.errors import UserError

keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
leaves = st.one_of(
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.text(alphabet="xyz ", max_size=5),
    st.lists(st.integers(0, 9), max_size=3),
)
trees = st.recursive(
    st.dictionaries(keys, leaves, max_size=4),
    lambda children: st.dictionaries(keys, st.one_of(leaves, children), max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(trees.filter(bool))
def test_a_dumped_mapping_loads_back_unchanged(tree: dict[str, Any]) -> None:
    assert parse_yaml(yaml.safe_dump(tree), "t.yaml") == tree


@settings(max_examples=60, deadline=None)
@given(st.lists(keys, min_size=1, max_size=5, unique=True), st.integers(0, 4))
def test_a_duplicate_key_is_found_at_any_depth_on_its_line(path: list[str], extra: int) -> None:
    # `path` nests mappings; the innermost one holds `dup` twice, `extra` lines apart
    lines = [f"{'  ' * depth}{key}:" for depth, key in enumerate(path)]
    indent = "  " * len(path)
    lines.append(f"{indent}dup: 1")
    lines += [f"{indent}other{i}: {i}" for i in range(extra)]
    lines.append(f"{indent}dup: 2")
    with pytest.raises(UserError) as err:
        parse_yaml("\n".join(lines) + "\n", "t.yaml")
    # the second `dup` is line len(path) + 1 + extra + 1 (1-based)
    assert str(err.value) == f"t.yaml:{len(path) + extra + 2}: duplicate key 'dup'"


@settings(max_examples=80, deadline=None)
@given(trees, trees)
def test_deep_merge_lets_the_override_win_and_keeps_the_rest(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    merged = deep_merge(base, override)
    assert set(merged) == set(base) | set(override)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            assert merged[key] == deep_merge(base[key], value)
        else:
            assert merged[key] == value
    for key in set(base) - set(override):
        assert merged[key] == base[key]
    assert deep_merge(merged, override) == merged  # applying the same override twice is once
    assert deep_merge(base, {}) == base and deep_merge({}, override) == override


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    # ten levels of ten aliases each: 10^10 values once expanded, a few hundred bytes of text
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    with pytest.raises(UserError, match=f"expand to more than {MAX_EXPANDED_NODES:,} values"):
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")


def test_aliases_under_the_bound_load() -> None:
    # 3 levels of 10: 1,000 leaves, well under the bound
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 3)]
    data = parse_yaml("\n".join(lines) + "\n", "ok.yaml")
    assert len(data["a2"]) == 10 and len(data["a2"][0]) == 10 and data["a2"][0][0][0] == "x"


def test_an_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("k: " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(UserError, match="too large for a config file"):
        load_yaml(big)


def test_a_base_chain_three_deep_merges_from_the_root(tmp_path: Path) -> None:
    (tmp_path / "root.yaml").write_text("a: 1\nb: {c: 1, d: 1}\n")
    (tmp_path / "mid.yaml").write_text("base: root\nb: {c: 2}\n")
    (tmp_path / "leaf.yaml").write_text("base: mid\nb: {d: 3}\ne: 4\n")

    def resolve(name: str, referrer: Path) -> Path:
        return referrer.parent / f"{name}.yaml"

    merged = load_with_base(tmp_path / "leaf.yaml", resolve)
    assert merged == {"a": 1, "b": {"c": 2, "d": 3}, "e": 4}


def test_a_variant_is_its_base_plus_what_it_names() -> None:
    # isaac-4adc differs from isaac in its ADC count (and its name, description and the ADC's
    # source line): put those back and the resolved content, so the digest, is isaac's
    isaac, four = load_hardware("isaac"), load_hardware("isaac-4adc")
    assert four.ima.adc.count != isaac.ima.adc.count
    adc = {"count": isaac.ima.adc.count, "source": isaac.ima.adc.source}
    back = {"ima": {"adc": adc}, "name": "isaac", "description": isaac.description}
    same = with_overrides(four, back)
    assert hardware_digest(same) == hardware_digest(isaac)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1, 0])
def test_an_override_to_a_bad_count_is_one_error(bad: float) -> None:
    with pytest.raises(UserError) as err:
        with_overrides(load_hardware("isaac"), {"ima": {"adc": {"count": bad}}}, "what-if")
    assert str(err.value).startswith("what-if: ima.adc.count")
    assert "\n" not in str(err.value)
