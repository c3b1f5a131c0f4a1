"""The visible text of WordprocessingML parts, in document order.

Kept: paragraphs, tables (nested ones inside their cell), content controls (w:sdt), text boxes
(DrawingML and VML; of an mc:AlternateContent only the first branch, so a box Word stores twice is
read once), tracked insertions and moves (their new place), hyperlinks, field results, and the
footnotes and endnotes the body refers to. Left out: tracked deletions (w:del, w:moveFrom), field
instructions, runs formatted hidden (w:vanish), content controls still showing their template's
placeholder prompt (w:showingPlcHdr: not the student's words), and what is not part of the
essay's text flow (headers, footers, comments, embedded objects, DrawingML text of charts and
SmartArt).

A text box's paragraphs come before the text of the paragraph it is anchored in: the box floats,
and its anchor paragraph reads on without the box cutting a sentence.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

# Transitional (what Word writes) and Strict OOXML spell the same elements in two namespaces.
_WORD_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)
_MC_NAMESPACE = "http://schemas.openxmlformats.org/markup-compatibility/2006"

# Subtrees that never hold visible text: properties, deletions, field instructions.
_SKIPPED = frozenset(
    {
        "w:pPr",
        "w:rPr",
        "w:sdtPr",
        "w:sdtEndPr",
        "w:tblPr",
        "w:tblGrid",
        "w:trPr",
        "w:tcPr",
        "w:sectPr",
        "w:del",
        "w:moveFrom",
        "w:delText",
        "w:instrText",
        "w:delInstrText",
        "w:fldData",
    }
)
_INLINE_CHARACTERS = {
    "w:tab": "\t",
    "w:ptab": "\t",
    "w:br": "\n",
    "w:cr": "\n",
    "w:noBreakHyphen": "-",
}
_NOTE_REFERENCES = {"w:footnoteReference": "footnote", "w:endnoteReference": "endnote"}
_FALSE = frozenset({"0", "false", "off"})


def name_of(element: ET.Element) -> str:
    """`w:p` for a WordprocessingML paragraph in either namespace, `mc:...`, else the raw tag."""
    namespace, _, local = element.tag.rpartition("}")
    namespace = namespace.lstrip("{")
    if namespace in _WORD_NAMESPACES:
        return "w:" + local
    if namespace == _MC_NAMESPACE:
        return "mc:" + local
    return element.tag


def _attribute(element: ET.Element, local: str) -> str | None:
    for namespace in _WORD_NAMESPACES:
        value = element.get(f"{{{namespace}}}{local}")
        if value is not None:
            return value
    return None


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if name_of(child) == name), None)


def _is_on(toggle: ET.Element | None) -> bool:
    if toggle is None:
        return False
    return (_attribute(toggle, "val") or "true").lower() not in _FALSE


def _is_hidden(run: ET.Element) -> bool:
    properties = _child(run, "w:rPr")
    return properties is not None and _is_on(_child(properties, "w:vanish"))


def _is_placeholder(element: ET.Element) -> bool:
    """A content control still showing its template's prompt ("Click here to enter text")."""
    if name_of(element) != "w:sdt":
        return False
    properties = _child(element, "w:sdtPr")
    return properties is not None and _is_on(_child(properties, "w:showingPlcHdr"))


def _chosen_branch(alternate: ET.Element) -> ET.Element | None:
    """The first mc:Choice, else the mc:Fallback: the branches are one object stored twice."""
    branches = [child for child in alternate if name_of(child) in ("mc:Choice", "mc:Fallback")]
    choices = [branch for branch in branches if name_of(branch) == "mc:Choice"]
    chosen = choices or branches
    return chosen[0] if chosen else None


def _transparent(element: ET.Element) -> Iterator[ET.Element]:
    """The children of a wrapper (content control, insertion, ...) as if they stood in its place."""
    if name_of(element) == "mc:AlternateContent":
        branch = _chosen_branch(element)
        if branch is not None:
            yield from branch
        return
    yield from element


@dataclass
class WordText:
    """Walks one package's parts; remembers the notes the body refers to, in reference order."""

    note_references: list[tuple[str, str]] = field(default_factory=list)

    def blocks(self, container: ET.Element) -> list[str]:
        """Paragraph and table texts of a body, cell, text box, content control or note."""
        texts: list[str] = []
        for element in _transparent(container):
            name = name_of(element)
            if name in _SKIPPED or _is_placeholder(element):
                continue
            if name == "w:p":
                texts.extend(self._paragraph(element))
            elif name == "w:tbl":
                texts.append(self._table(element))
            else:  # w:sdt, w:sdtContent, w:customXml, w:ins, mc:AlternateContent, ...
                texts.extend(self.blocks(element))
        return texts

    def _paragraph(self, paragraph: ET.Element) -> list[str]:
        parts: list[str] = []
        boxes: list[str] = []
        self._inline(paragraph, parts, boxes)
        return [*boxes, "".join(parts)]

    def _inline(self, element: ET.Element, parts: list[str], boxes: list[str]) -> None:
        for child in _transparent(element):
            name = name_of(child)
            if name in _SKIPPED or _is_placeholder(child) or (name == "w:r" and _is_hidden(child)):
                continue
            if name == "w:t":
                parts.append(child.text or "")
            elif name in _INLINE_CHARACTERS:
                parts.append(_INLINE_CHARACTERS[name])
            elif name in _NOTE_REFERENCES:
                self._refer(_NOTE_REFERENCES[name], child)
            elif name == "w:txbxContent":
                boxes.extend(self.blocks(child))
            else:
                self._inline(child, parts, boxes)

    def _refer(self, kind: str, reference: ET.Element) -> None:
        note_id = _attribute(reference, "id")
        if note_id is not None and (kind, note_id) not in self.note_references:
            self.note_references.append((kind, note_id))

    def _table(self, table: ET.Element) -> str:
        return "\n".join(self._row(row) for row in _descendants(table, "w:tr", "w:tbl"))

    def _row(self, row: ET.Element) -> str:
        if _is_deleted_row(row):
            return ""
        cells = _descendants(row, "w:tc", "w:tr")
        return "\t".join("\n".join(self.blocks(cell)) for cell in cells)

    def notes(self, kind: str, part: ET.Element | None) -> list[str]:
        """The referenced notes of one kind, in the order the body refers to them."""
        if part is None:
            return []
        by_id = {_attribute(note, "id"): note for note in part if name_of(note) == f"w:{kind}"}
        texts: list[str] = []
        for referenced_kind, note_id in self.note_references:
            note = by_id.get(note_id) if referenced_kind == kind else None
            if note is not None:
                texts.append("\n".join(self.blocks(note)))
        return texts


def _descendants(element: ET.Element, wanted: str, stop: str) -> list[ET.Element]:
    """`wanted` elements under wrappers (w:sdt, w:customXml, w:ins), not inside a nested `stop`."""
    found: list[ET.Element] = []
    for child in _transparent(element):
        name = name_of(child)
        if name == wanted:
            found.append(child)
        elif name not in _SKIPPED and name != stop:
            found.extend(_descendants(child, wanted, stop))
    return found


def _is_deleted_row(row: ET.Element) -> bool:
    properties = _child(row, "w:trPr")
    return properties is not None and _child(properties, "w:del") is not None
