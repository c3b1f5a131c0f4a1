"""Every visible text run of a .docx is read, in document order, and nothing deleted or hidden is;
each case is a package written inside the test, and compared with docx2python where it agrees."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx2python import docx2python

from common_core.error_enums import ErrorCode, FileValidationErrorCode
from services.file_service.domain.docx_reader import extract_docx_text
from services.file_service.domain.limits import DocumentLimits
from services.file_service.domain.refusals import Refusal
from services.file_service.domain.text_rules import normalise_text
from services.file_service.tests import documents as docs
from services.file_service.tests.wordml_packages import (
    STRICT_W,
    WordPackage,
    alternate_text_box,
    cell,
    content_control,
    deleted,
    drawing_text_box,
    field_result,
    hyperlink,
    inserted,
    moved,
    note_reference,
    para,
    paragraph,
    run,
    table,
    vml_text_box,
)

# docx2python marks note references, numbers its notes and writes hyperlinks as HTML.
_REFERENCE_MARKERS = re.compile(r"----(?:foot|end)note\d+----|(?:foot|end)note\d+\)|<a [^>]*>|</a>")


def _text(package: WordPackage | bytes) -> str:
    data = package if isinstance(package, bytes) else package.to_bytes()
    return normalise_text(extract_docx_text(data, DocumentLimits()))


def _reference_words(data: bytes) -> list[str]:
    """docx2python's body, then its footnotes and endnotes, without its note markers."""
    with docx2python(io.BytesIO(data)) as reference:
        paragraphs = [reference.body, reference.footnotes, reference.endnotes]
    return _REFERENCE_MARKERS.sub("", " ".join(_flatten(paragraphs))).split()


def _flatten(nested: object) -> list[str]:
    if isinstance(nested, str):
        return [nested]
    assert isinstance(nested, list)
    return [text for item in nested for text in _flatten(item)]


# Each case: the package, and the text the teacher's judge must get (normalised).
AGREEING_CASES: dict[str, tuple[WordPackage, str]] = {
    "content-controls": (
        WordPackage(
            para("Before the controls.")
            + content_control(para("A block content control."), para("Its second paragraph."))
            + paragraph(run("An "), content_control(run("inline control")), run(" in a sentence."))
        ),
        "Before the controls.\n\nA block content control.\n\nIts second paragraph.\n\n"
        "An inline control in a sentence.",
    ),
    "drawingml-text-box": (
        WordPackage(
            paragraph(run("The anchor paragraph."), drawing_text_box(para("Text in a box.")))
            + para("After the box.")
        ),
        "Text in a box.\n\nThe anchor paragraph.\n\nAfter the box.",
    ),
    "vml-text-box": (
        WordPackage(paragraph(run("Anchor."), vml_text_box(para("Legacy box text.")))),
        "Legacy box text.\n\nAnchor.",
    ),
    "nested-tables": (
        WordPackage(
            table(
                [
                    cell(para("Outer A"), table([cell(para("Inner 1")), cell(para("Inner 2"))])),
                    cell(para("Outer B")),
                ],
                [cell(para("Second row")), cell(para("Last cell"))],
            )
        ),
        # cells are tab-separated, which normalisation makes one space
        "Outer A\nInner 1 Inner 2 Outer B\nSecond row Last cell",
    ),
    "tracked-insertion-and-deletion": (
        WordPackage(
            paragraph(run("Kept "), inserted("inserted "), deleted("deleted words "), run("tail."))
        ),
        "Kept inserted tail.",
    ),
    "field-result-not-instruction": (
        WordPackage(paragraph(run("Page "), field_result("PAGE \\* MERGEFORMAT", "3"))),
        "Page 3",
    ),
    "hyperlink": (
        WordPackage(
            paragraph(run("See "), hyperlink("rIdLink", "the source"), run(".")),
            hyperlinks={"rIdLink": "https://example.org/?a=1&b=2"},
        ),
        "See the source.",
    ),
    "footnotes-and-endnotes": (
        WordPackage(
            paragraph(run("A claim"), note_reference("footnote", 1), run(" and another"))
            + paragraph(run("More"), note_reference("endnote", 1), note_reference("footnote", 2)),
            footnotes={1: "First footnote.", 2: "Second footnote."},
            endnotes={1: "An endnote."},
        ),
        "A claim and another\n\nMore\n\nFirst footnote.\n\nSecond footnote.\n\nAn endnote.",
    ),
    "swedish-text": (
        WordPackage(para("Åsa skrev en uppsats om älgar och öar.")),
        "Åsa skrev en uppsats om älgar och öar.",
    ),
}


@pytest.mark.parametrize("case", AGREEING_CASES, ids=list(AGREEING_CASES))
def test_each_visible_construct_is_read_in_document_order(case: str) -> None:
    package, expected = AGREEING_CASES[case]
    assert _text(package) == expected


@pytest.mark.parametrize("case", AGREEING_CASES, ids=list(AGREEING_CASES))
def test_the_text_matches_docx2python_word_for_word(case: str) -> None:
    package, _ = AGREEING_CASES[case]
    data = package.to_bytes()
    assert _text(data).split() == _reference_words(data)


def test_a_text_box_stored_in_both_branches_of_alternate_content_is_read_once() -> None:
    package = WordPackage(paragraph(run("Anchor."), alternate_text_box(para("Only once, please."))))
    assert _text(package) == "Only once, please.\n\nAnchor."
    # docx2python reads both branches: the same words, with the box twice.
    assert _reference_words(package.to_bytes()).count("once,") == 2


def test_notes_follow_the_body_in_the_order_referred_to_and_unreferred_notes_are_left_out() -> None:
    package = WordPackage(
        paragraph(run("One"), note_reference("footnote", 7), run(" two"))
        + paragraph(run("Three"), note_reference("footnote", 3), note_reference("footnote", 7)),
        footnotes={3: "Referred to second.", 5: "Never referred to.", 7: "Referred to first."},
    )
    assert _text(package) == "One two\n\nThree\n\nReferred to first.\n\nReferred to second."


def test_text_moved_with_tracked_changes_is_read_at_its_new_place_only() -> None:
    old_place, new_place = moved("moved words")
    package = WordPackage(paragraph(run("A "), old_place, run("B "), new_place))
    assert _text(package) == "A B moved words"


def test_hidden_runs_are_left_out_and_other_runs_kept() -> None:
    package = WordPackage(
        paragraph(run("Seen "), run("hidden ", hidden=True), run("and seen."))
        + paragraph('<w:r><w:rPr><w:vanish w:val="false"/></w:rPr><w:t>Not hidden.</w:t></w:r>')
    )
    assert _text(package) == "Seen and seen.\n\nNot hidden."


def test_a_content_control_still_showing_its_placeholder_prompt_is_left_out() -> None:
    package = WordPackage(
        para("Title the student wrote.")
        + content_control(para("Click or tap here to enter text."), placeholder=True)
        + paragraph(run("Name: "), content_control(run("Skriv ditt namn"), placeholder=True))
    )
    assert _text(package) == "Title the student wrote.\n\nName:"


def test_content_controls_around_table_rows_and_cells_are_read() -> None:
    rows = table([cell(para("Row one"))], [cell(para("Row two"))])
    wrapped = rows.replace("<w:tr>", "<w:sdt><w:sdtContent><w:tr>", 1).replace(
        "</w:tr>", "</w:tr></w:sdtContent></w:sdt>", 1
    )
    wrapped = wrapped.replace(cell(para("Row two")), content_control(cell(para("Row two"))))
    data = WordPackage(wrapped).to_bytes()
    assert _text(data) == "Row one\nRow two"
    assert _text(data).split() == _reference_words(data)


def test_a_vertically_merged_cell_is_read_once() -> None:
    package = WordPackage(
        table(
            [cell(para("Tall cell"), vertical_merge="restart"), cell(para("Row 1"))],
            [cell(vertical_merge=""), cell(para("Row 2"))],
        )
    )
    assert _text(package) == "Tall cell Row 1\nRow 2"


def test_a_tracked_row_deletion_leaves_the_row_out() -> None:
    deleted_row = '<w:tr><w:trPr><w:del w:id="3" w:author="T"/></w:trPr><w:tc>'
    body = table([cell(para("Kept row"))]).replace(
        "</w:tbl>", deleted_row + para("Deleted row") + "</w:tc></w:tr></w:tbl>"
    )
    assert _text(WordPackage(body)) == "Kept row"


def test_a_strict_ooxml_document_is_read() -> None:
    package = WordPackage(para("Strict namespace text."), namespace=STRICT_W)
    assert _text(package) == "Strict namespace text."


def test_the_document_part_is_found_through_the_package_relationships() -> None:
    package = WordPackage(para("Elsewhere in the package."), document_path="word/main.xml")
    assert _text(package) == "Elsewhere in the package."


def test_python_docx_documents_still_read_paragraphs_then_tables() -> None:
    essay = docs.essay_text(120)
    data = docs.docx_bytes(essay, table=[["Name", "Grade"], ["Ada", "A"]])
    assert _text(data).split() == [*essay.split(), "Name", "Grade", "Ada", "A"]
    assert _text(data).split() == _reference_words(data)


def test_a_part_with_a_document_type_declaration_is_refused_unexpanded() -> None:
    laughs = '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;">]>'
    data = WordPackage(para("&b;")).to_bytes()
    poisoned = docs.zip_bytes(_members(data) | {"word/document.xml": _with_prologue(data, laughs)})
    with pytest.raises(Refusal) as refused:
        extract_docx_text(poisoned, DocumentLimits())
    assert refused.value.code is FileValidationErrorCode.TEXT_EXTRACTION_FAILED
    assert refused.value.details["reason"] == "document_type_declaration"


def test_the_decompression_bound_still_applies_before_any_part_is_parsed() -> None:
    data = WordPackage(para("x" * 3000)).to_bytes()
    with pytest.raises(Refusal) as refused:
        extract_docx_text(data, DocumentLimits(max_docx_uncompressed_bytes=2000))
    assert refused.value.code is ErrorCode.PAYLOAD_TOO_LARGE


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _with_prologue(data: bytes, prologue: str) -> bytes:
    document = _members(data)["word/document.xml"]
    return prologue.encode() + document.split(b"?>", 1)[1]
