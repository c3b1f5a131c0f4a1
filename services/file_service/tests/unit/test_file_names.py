from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.file_service.domain.file_names import (
    FALLBACK_NAME,
    MAX_NAME_CHARS,
    sanitise_file_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("essay.docx", "essay.docx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\Desktop\\uppsats.pdf", "uppsats.pdf"),
        ("/absolute/path/essay.txt", "essay.txt"),
        (".hidden", "hidden"),
        ("..", FALLBACK_NAME),
        ("", FALLBACK_NAME),
        (None, FALLBACK_NAME),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ('what?<is>"this"|*.txt', "what__is__this___.txt"),
        ("  lots   of\tspace  .txt", "lots of space .txt"),
        ("right-to-left\u202eexe.txt", "right-to-leftexe.txt"),
    ],
)
def test_sanitise(raw: str | None, expected: str) -> None:
    assert sanitise_file_name(raw) == expected


def test_decomposed_names_are_composed() -> None:
    assert (
        sanitise_file_name(unicodedata.normalize("NFD", "Ärlig åsikt.docx")) == "Ärlig åsikt.docx"
    )


def test_long_names_keep_their_extension() -> None:
    name = sanitise_file_name("x" * 500 + ".docx")
    assert len(name) == MAX_NAME_CHARS
    assert name.endswith(".docx")


@given(st.text())
def test_a_sanitised_name_is_never_a_path_and_never_empty(raw: str) -> None:
    name = sanitise_file_name(raw)
    assert name
    assert "/" not in name
    assert "\\" not in name
    assert not name.startswith(".")
    assert len(name) <= MAX_NAME_CHARS
    assert all(unicodedata.category(char)[0] != "C" for char in name)
