"""Safe YAML: marks, YAML 1.2 booleans, no object tags, no aliases, no bombs."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from folio.errors import FolioError
from folio.yamlload import Mark, load_yaml


def test_marks_are_one_based_and_shifted_by_offset():
    data = load_yaml("title: A\nnested:\n  key: v\nlist: [a, b]\n", "f.md", line_offset=1)
    assert data.where("title").line == 2 and data.where("title").col == 8
    assert data["nested"].where("key").line == 4
    assert data["list"].where(1).line == 5 and data["list"].where(1).col == 11


def test_marks_keep_the_raw_text_of_values_that_are_not_text():
    data = load_yaml("a: no\nb: 1.0\nc: '1.0'\nd: [2, x]\ne:\n", "f.md", line_offset=1)
    assert data.where("a") == Mark(2, 4, "no", None)
    assert (data.where("b").raw, data.where("b").style) == ("1.0", "")  # plain: a quote hint
    assert data.where("c").raw == "1.0" and data["c"] == "1.0"
    assert data["d"].where(0).raw == "2" and data["d"].where(1) == Mark(5, 8, "x")
    assert data["d"].where(2) == data["d"].mark == Mark(5, 4)  # past the end: the list
    assert data.where("e").line == 6 and data.where("missing") == data.mark == Mark(2, 1)
    assert data.key_mark("b") == Mark(3, 1) and data.key_mark("missing") is None


def test_field_names_are_one_string_across_files():
    first, second = load_yaml("title: A\n", "a.md"), load_yaml("title: B\n", "b.md")
    assert next(iter(first)) is next(iter(second))


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "No", "ON"])
def test_yaml11_booleans_stay_text(word):
    assert load_yaml(f"v: {word}\n", "f")["v"] == word


def test_true_false_are_booleans_and_dates_stay_text():
    data = load_yaml("a: true\nb: false\nd: 2024-01-01\n", "f")
    assert data["a"] is True and data["b"] is False and data["d"] == "2024-01-01"


@pytest.mark.parametrize("text,message,line", [
    ("a: 1\nb: 2\na: 3\n", "duplicate key 'a' (first defined on line 1)", 3),
    ("n:\n  x: 1\n  x: 2\n", "duplicate key 'x'", 3),
    ("x: !!python/object/apply:os.system [echo hi]\n", "could not determine a constructor", 1),
    ("x: !!python/object/new:os.system [touch /tmp/pwned]\n", "could not determine a constructor", 1),
    ("title: Foo: Bar\n", "mapping values are not allowed", 1),
    ("a: [1, 2\n", "did not find expected", 2),
    ("a: &x 1\nb: *x\n", "anchors and aliases", 1),
])
def test_errors_carry_file_line_and_message(text, message, line):
    with pytest.raises(FolioError) as info:
        load_yaml(text, "f.md")
    d = info.value.diagnostic
    assert d.path == "f.md" and d.line == line and message in d.message


def test_line_numbers_survive_unicode_line_separators():
    with pytest.raises(FolioError) as info:
        load_yaml('a: "x\u2028y\u2029z\x85w"\nb: 1\nc: Foo: Bar\n', "f.md")
    assert info.value.diagnostic.line == 3


def test_form_feed_is_an_error_on_its_own_line():
    with pytest.raises(FolioError) as info:
        load_yaml("a: x\u2028y\nb: \x0c1\n", "f.md")
    d = info.value.diagnostic
    assert (d.line, d.col) == (2, 4) and "U+000C" in d.message


def test_billion_laughs_is_refused_fast_and_small():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 9) + "]" for i in range(1, 9)]
    with pytest.raises(FolioError) as info:
        load_yaml("\n".join(levels) + "\n", "bomb.yaml")
    assert "anchors and aliases" in info.value.diagnostic.message


def test_deep_nesting_is_refused_in_a_small_subprocess():
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (400*2**20, 400*2**20));"
            "from folio.yamlload import load_yaml; from folio.errors import FolioError\n"
            "for text in ['[' * 50000, 'a:\\n' + ''.join(' ' * i + 'b:\\n' for i in range(1, 3000))]:\n"
            "    try: load_yaml(text, 'f')\n"
            "    except FolioError as e: print(e.diagnostic.message)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("nested deeper") + out.stdout.count("invalid YAML") == 2


def test_marked_values_pickle_as_plain_containers():
    data = load_yaml("a: [1, {b: 2}]\n", "f")
    assert pickle.loads(pickle.dumps(data)) == {"a": [1, {"b": 2}]}


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_round_trips_through_safe_dump(value):
    dumped = yaml.safe_dump({"v": value})
    assert load_yaml(dumped, "f")["v"] == value
