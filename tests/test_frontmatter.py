"""Front matter rules (RELIABILITY 15-19): one documented behaviour per edge case."""

from __future__ import annotations

import pytest

from folio.errors import FolioError
from folio.frontmatter import decode, read_front_matter


def read(text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return read_front_matter(data, "p.md")


def test_fields_body_and_body_line():
    st = read("---\ntitle: A\n---\nHello\n")
    assert st.meta == {"title": "A"} and st.body == "Hello\n" and st.body_line == 4


@pytest.mark.parametrize("text,meta,body", [
    ("---\n---\nBody", {}, "Body"),                      # empty front matter is {}
    ("no front matter\n", {}, "no front matter\n"),
    ("--- \ntitle: A\n---  \nB", {"title": "A"}, "B"),   # trailing spaces on fences
    ("---\ntitle: A\n...\nB", {"title": "A"}, "B"),      # YAML document end closes too
    ("----\ntitle: A\n", {}, "----\ntitle: A\n"),         # four dashes is a rule, not a fence
    ("---\ntitle: A\n---\nx\n---\ny", {"title": "A"}, "x\n---\ny"),  # body rules stay
    ("", {}, ""),
    ("   \n\n", {}, "   \n\n"),
])
def test_documented_edge_cases(text, meta, body):
    st = read(text)
    assert st.meta == meta and st.body == body


@pytest.mark.parametrize("text,message", [
    ("---\n- a\n---\n", "got a list"),
    ("---\njust text\n---\n", "got a single str value"),
    ("---\ntitle: A\n", "never closed"),
    ("+++\ntitle = 'A'\n+++\n", "TOML front matter"),
])
def test_bad_front_matter_names_the_opening_line(text, message):
    with pytest.raises(FolioError) as info:
        read(text)
    assert info.value.diagnostic.line == 1 and message in info.value.diagnostic.message


def test_bom_is_dropped():
    st = read(b"\xef\xbb\xbf---\ntitle: A\n---\nB")
    assert st.meta == {"title": "A"} and "\ufeff" not in st.body


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_read_like_lf(newline):
    lf = read("---\ntitle: A\n---\nline one\nline two\n")
    other = read("---\ntitle: A\n---\nline one\nline two\n".replace("\n", newline))
    assert (other.meta, other.body, other.body_line) == (lf.meta, lf.body, lf.body_line)


def test_yaml_error_lines_are_file_lines_with_crlf():
    with pytest.raises(FolioError) as info:
        read("---\r\ntitle: A\r\nsummary: Foo: Bar\r\n---\r\n")
    assert info.value.diagnostic.line == 3


@pytest.mark.parametrize("data,message", [
    (b"---\ntitle: It\x92s\n---\n", "not UTF-8 at line 2, byte 13"),
    (b"\xff\xfe-\x00-\x00-\x00", "UTF-16"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
])
def test_undecodable_files_are_clear_errors(data, message):
    with pytest.raises(FolioError) as info:
        read(data)
    assert message in info.value.diagnostic.message


def test_size_cap():
    with pytest.raises(FolioError) as info:
        decode(b"x" * 2000, "big.md", max_bytes=1000)
    assert "2,000 bytes" in info.value.diagnostic.message


def test_a_read_file_keeps_its_text_once():
    """The body is a slice of the text and the whole text is not kept beside it."""
    from dataclasses import fields

    text = "---\ntitle: A\n---\n" + "a line of body\n" * 500
    st = read(text)
    kept = [getattr(st, f.name) for f in fields(st) if isinstance(getattr(st, f.name), str)]
    assert st.text == text and st.body == "a line of body\n" * 500 and st.body_line == 4
    assert all(len(s) < len(text) for s in kept) and sum(map(len, kept)) == len(text)
