from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.file_service.domain.text_rules import normalise_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\rc", "a\nb\nc"),
        ("nul\x00 bytes\x00", "nul bytes"),
        ("many   spaces\tand\u00a0tabs", "many spaces and tabs"),
        ("  trailing  \n  leading", "trailing\nleading"),
        ("one\n\n\n\n\ntwo", "one\n\ntwo"),
        ("soft\u00adhyphen and zero\u200bwidth", "softhyphen and zerowidth"),
        ("\ufeffbom at start", "bom at start"),
        ("form\x0cfeed", "form feed"),
        ("para\u2029graph", "para\n\ngraph"),
    ],
)
def test_normalisation(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_decomposed_letters_are_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Åsa är glad")
    assert len(decomposed) > len("Åsa är glad")
    assert normalise_text(decomposed) == "Åsa är glad"


@given(st.text())
def test_normalised_text_is_stable_nfc_and_free_of_nul(raw: str) -> None:
    once = normalise_text(raw)
    assert normalise_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert "\x00" not in once
    assert once == once.strip()
    assert "  " not in once
