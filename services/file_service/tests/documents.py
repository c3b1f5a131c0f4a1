"""Real documents, generated in the tests: .docx with python-docx, .pdf with fpdf2 and pypdf."""

from __future__ import annotations

import io
import random
import zipfile

import docx
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

WORDS = (
    "school",
    "homework",
    "students",
    "teacher",
    "learning",
    "because",
    "however",
    "therefore",
    "important",
    "believe",
    "society",
    "future",
    "education",
    "friends",
    "language",
    "reading",
    "writing",
    "argument",
    "opinion",
    "example",
    "evidence",
    "reason",
    "summer",
    "winter",
    "village",
    "history",
    "science",
    "music",
    "nature",
    "library",
)


def essay_text(words: int = 600, seed: int = 1) -> str:
    rng = random.Random(seed)
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < words:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16)))
        sentences.append(sentence.capitalize() + ".")
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "\n\n".join(paragraphs)


def docx_bytes(text: str, table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for paragraph in text.split("\n\n"):
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row_index, row in enumerate(table):
            for column_index, value in enumerate(row):
                grid.cell(row_index, column_index).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for paragraph in text.split("\n\n"):
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(4)
    return bytes(pdf.output())


SWEDISH_SENTENCES = (
    "Åsa och Örjan läste om älgar på ön.",
    "Här är ett stycke med å, ä och ö: ärlig åsikt, öppen dörr.",
    "Både föräldrar och lärare tyckte att uppsatsen var värd att läsa.",
)
CORE_FONTS = ("helvetica", "times", "courier")


def pdf_pages_bytes(
    pages: list[str], fonts: dict[str, str] | None = None, columns: int = 1
) -> bytes:
    """One page per text, its paragraphs set in turn in each font (core fonts, or TrueType files
    given as name -> path), in `columns` columns."""
    pdf = FPDF()
    for name, path in (fonts or {}).items():
        pdf.add_font(name, fname=path)
    families = list(fonts or CORE_FONTS)
    for text in pages:
        pdf.add_page()
        for index, paragraph in enumerate(text.split("\n\n")):
            pdf.set_font(families[index % len(families)], size=10 + index % 3)
            if columns == 1:
                pdf.multi_cell(0, 6, paragraph)
                pdf.ln(3)
                continue
            with pdf.text_columns(ncols=columns, gutter=8) as flow:
                flow.write(paragraph)
                flow.ln()
    return bytes(pdf.output())


def image_only_pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    for offset in range(0, 100, 10):
        pdf.rect(10 + offset, 10 + offset, 40, 20, style="F")
    return bytes(pdf.output())


def encrypted_pdf_bytes(text: str, user_password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(text))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def ole2_bytes(*stream_names: str) -> bytes:
    """The start of an OLE2 compound file (legacy .doc, or an encrypted OOXML package)."""
    header = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\x00") for name in stream_names)
    return header + directory + bytes(512)


def legacy_doc_bytes() -> bytes:
    return ole2_bytes("Root Entry", "WordDocument", "1Table")


def encrypted_docx_bytes() -> bytes:
    return ole2_bytes("Root Entry", "EncryptionInfo", "EncryptedPackage")


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx_bomb_bytes(decompressed_bytes: int) -> bytes:
    """A valid-looking .docx whose document part inflates to `decompressed_bytes`."""
    buffer = io.BytesIO(docx_bytes(essay_text(60)))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.xml", b" " * decompressed_bytes)
    return buffer.getvalue()


def lying_docx_bytes(true_size: int) -> bytes:
    """A .docx whose document part declares 1 KB in the zip directory but inflates much more."""
    original = docx_bytes(essay_text(60))
    source = zipfile.ZipFile(io.BytesIO(original))
    members = {info.filename: source.read(info.filename) for info in source.infolist()}
    members["word/document.xml"] = members["word/document.xml"] + b" " * true_size
    packed = bytearray(zip_bytes(members))
    _rewrite_declared_size(packed, b"word/document.xml", 1024)
    return bytes(packed)


def _rewrite_declared_size(packed: bytearray, name: bytes, size: int) -> None:
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := packed.find(signature, start)) != -1:
            name_offset = 30 if signature == b"PK\x03\x04" else 46
            if packed[start + name_offset : start + name_offset + len(name)] == name:
                packed[start + size_offset : start + size_offset + 4] = size.to_bytes(4, "little")
            start += 4
