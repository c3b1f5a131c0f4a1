"""The benchmark's essays: a mix of .txt, .docx and .pdf, ~600 words each, generated here."""

from __future__ import annotations

from dataclasses import dataclass

from services.file_service.tests.documents import docx_bytes, essay_text, pdf_bytes

ENCODERS = {"txt": str.encode, "docx": docx_bytes, "pdf": pdf_bytes}


@dataclass(frozen=True)
class Essay:
    name: str
    file_format: str
    data: bytes


def make_corpus(count: int, words: int = 600) -> list[Essay]:
    formats = list(ENCODERS)
    essays = []
    for index in range(count):
        file_format = formats[index % len(formats)]
        text = essay_text(words, seed=index)
        essays.append(
            Essay(f"essay-{index}.{file_format}", file_format, ENCODERS[file_format](text))
        )
    return essays
