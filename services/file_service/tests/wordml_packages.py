""".docx packages written by hand: WordprocessingML for the constructs python-docx cannot make
(content controls, text boxes, tracked changes, notes), zipped inside the test."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STRICT_W = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NAMESPACES = (
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    f'xmlns:r="{_RELATIONSHIP}" mc:Ignorable="wps"'
)
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml"


def run(text: str, hidden: bool = False) -> str:
    properties = "<w:rPr><w:vanish/></w:rPr>" if hidden else ""
    return f'<w:r>{properties}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def paragraph(*inline: str) -> str:
    return "<w:p>" + "".join(inline) + "</w:p>"


def para(text: str) -> str:
    return paragraph(run(text))


def content_control(*content: str, placeholder: bool = False) -> str:
    showing = "<w:showingPlcHdr/>" if placeholder else ""
    properties = f'<w:sdtPr><w:alias w:val="Answer"/><w:tag w:val="q1"/>{showing}</w:sdtPr>'
    return f"<w:sdt>{properties}<w:sdtContent>{''.join(content)}</w:sdtContent></w:sdt>"


def cell(*blocks: str, vertical_merge: str | None = None) -> str:
    merge = ""
    if vertical_merge is not None:
        value = f' w:val="{vertical_merge}"' if vertical_merge else ""
        merge = f"<w:tcPr><w:vMerge{value}/></w:tcPr>"
    return f"<w:tc>{merge}{''.join(blocks) or '<w:p/>'}</w:tc>"


def table(*rows: list[str]) -> str:
    body = "".join("<w:tr>" + "".join(cells) + "</w:tr>" for cells in rows)
    return f"<w:tbl><w:tblPr/><w:tblGrid/>{body}</w:tbl>"


def inserted(text: str) -> str:
    return f'<w:ins w:id="11" w:author="Teacher" w:date="2026-12-01T10:00:00Z">{run(text)}</w:ins>'


def deleted(text: str) -> str:
    return (
        '<w:del w:id="12" w:author="Teacher" w:date="2026-12-01T10:00:00Z">'
        f'<w:r><w:delText xml:space="preserve">{escape(text)}</w:delText></w:r></w:del>'
    )


def moved(text: str) -> tuple[str, str]:
    """The old place (a deletion) and the new place (an insertion) of moved text."""
    return (
        f'<w:moveFrom w:id="13" w:author="Teacher">{run(text)}</w:moveFrom>',
        f'<w:moveTo w:id="14" w:author="Teacher">{run(text)}</w:moveTo>',
    )


def field_result(instruction: str, result: str) -> str:
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {escape(instruction)} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f'{run(result)}<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def _text_box_content(*blocks: str) -> str:
    return f"<w:txbxContent>{''.join(blocks)}</w:txbxContent>"


def drawing_text_box(*blocks: str) -> str:
    """A DrawingML (Word 2010+) text box, as the run that anchors it."""
    return f"<w:r>{_drawing(*blocks)}</w:r>"


def vml_text_box(*blocks: str) -> str:
    """A VML (legacy) text box, as the run that anchors it."""
    return f"<w:r>{_vml(*blocks)}</w:r>"


def alternate_text_box(*blocks: str) -> str:
    """What Word writes: the DrawingML box, and the same box in VML for older readers."""
    return (
        "<w:r><mc:AlternateContent>"
        f'<mc:Choice Requires="wps">{_drawing(*blocks)}</mc:Choice>'
        f"<mc:Fallback>{_vml(*blocks)}</mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )


def _drawing(*blocks: str) -> str:
    return (
        '<w:drawing><wp:anchor><wp:extent cx="1800000" cy="900000"/><a:graphic>'
        '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<wps:wsp><wps:txbx>{_text_box_content(*blocks)}</wps:txbx><wps:bodyPr/></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing>"
    )


def _vml(*blocks: str) -> str:
    return (
        f"<w:pict><v:shape><v:textbox>{_text_box_content(*blocks)}</v:textbox></v:shape></w:pict>"
    )


def hyperlink(relationship_id: str, text: str) -> str:
    return f'<w:hyperlink r:id="{relationship_id}">{run(text)}</w:hyperlink>'


def note_reference(kind: str, note_id: int) -> str:
    return f'<w:r><w:{kind}Reference w:id="{note_id}"/></w:r>'


@dataclass
class WordPackage:
    """A minimal .docx: the document part, its relationships and optional note parts."""

    body: str
    footnotes: dict[int, str] = field(default_factory=dict)
    endnotes: dict[int, str] = field(default_factory=dict)
    hyperlinks: dict[str, str] = field(default_factory=dict)
    namespace: str = W
    document_path: str = "word/document.xml"

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, content in self._parts().items():
                archive.writestr(name, content)
        return buffer.getvalue()

    def _parts(self) -> dict[str, str]:
        directory, name = self.document_path.rsplit("/", 1)
        parts = {
            "[Content_Types].xml": self._content_types(),
            "_rels/.rels": _relationships({"rId1": ("officeDocument", self.document_path)}),
            f"{directory}/_rels/{name}.rels": self._document_relationships(),
            self.document_path: self._root("document", f"<w:body>{self.body}</w:body>"),
        }
        for kind, notes in (("footnote", self.footnotes), ("endnote", self.endnotes)):
            if notes:
                parts[f"{directory}/{kind}s.xml"] = self._notes(kind, notes)
        return parts

    def _root(self, element: str, content: str) -> str:
        return (
            f'{_XML}<w:{element} xmlns:w="{self.namespace}" {_NAMESPACES}>{content}</w:{element}>'
        )

    def _notes(self, kind: str, notes: dict[int, str]) -> str:
        separator_paragraph = paragraph("<w:r><w:separator/></w:r>")
        separator = f'<w:{kind} w:type="separator" w:id="-1">{separator_paragraph}</w:{kind}>'
        bodies = "".join(
            f'<w:{kind} w:id="{note_id}">'
            + paragraph(f"<w:r><w:{kind}Ref/></w:r>", run(" " + text))
            + f"</w:{kind}>"
            for note_id, text in notes.items()
        )
        return self._root(f"{kind}s", separator + bodies)

    def _content_types(self) -> str:
        overrides = [(self.document_path, f"{_TYPE}.document.main+xml")]
        directory = self.document_path.rsplit("/", 1)[0]
        overrides += [
            (f"{directory}/{kind}s.xml", f"{_TYPE}.{kind}s+xml")
            for kind, notes in (("footnote", self.footnotes), ("endnote", self.endnotes))
            if notes
        ]
        return (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(
                f'<Override PartName="/{part}" ContentType="{content_type}"/>'
                for part, content_type in overrides
            )
            + "</Types>"
        )

    def _document_relationships(self) -> str:
        targets: dict[str, tuple[str, str]] = {
            f"rIdNote{kind}": (f"{kind}s", f"{kind}s.xml")
            for kind, notes in (("footnote", self.footnotes), ("endnote", self.endnotes))
            if notes
        }
        links = {key: ("hyperlink", url) for key, url in self.hyperlinks.items()}
        return _relationships(targets, external=links)


def _relationships(
    internal: dict[str, tuple[str, str]], external: dict[str, tuple[str, str]] | None = None
) -> str:
    entries = [
        f'<Relationship Id="{key}" Type="{_RELATIONSHIP}/{kind}" Target="{target}"/>'
        for key, (kind, target) in internal.items()
    ]
    entries += [
        f'<Relationship Id="{key}" Type="{_RELATIONSHIP}/{kind}" Target="{escape(target)}" '
        'TargetMode="External"/>'
        for key, (kind, target) in (external or {}).items()
    ]
    return (
        f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(entries)
        + "</Relationships>"
    )
