"""The demo's sample essays, anchors and roster, and how their files are made.

Every essay and anchor declares the latent quality (in logits) the simulated judge gives it, as a
teacher would rank them; the anchors sit at the centres of their grades. The qualities reach
only the simulated judge, through simulated_qualities.json (the stack sets the CJ service's
SIMULATED_JUDGE_QUALITIES_FILE to it), keyed by each text's opening words; the texts carry no
marker. The files beside this module are committed; regenerate them with
`python -m scripts.demo_data.essays` after editing the texts (needs python-docx and fpdf2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
QUALITIES_FILE = HERE / "simulated_qualities.json"
OPENING_WORDS = 12
PROMPT = "Should schools replace printed textbooks with tablets?"


@dataclass(frozen=True)
class SampleEssay:
    file_name: str
    author_email: str
    quality: float  # what the simulated judge sees, in logits
    text: str


@dataclass(frozen=True)
class SampleAnchor:
    grade: str
    quality: float
    text: str


ESSAYS: tuple[SampleEssay, ...] = (
    SampleEssay(
        "anna_lind.txt",
        "anna.lind@example.org",
        1.2,
        "Tablets should not simply replace textbooks, but they should join them. A printed book "
        "never runs out of battery, and it lets a reader write in the margins and return to a "
        "page by memory of where it sat. A tablet, on the other hand, can hold every subject in "
        "one light device, update a chapter the day a discovery is made, and read a text aloud "
        "to a pupil who struggles with print. The strongest schools will therefore choose by "
        "purpose: paper for long, careful reading and tablets for research, practice and "
        "access. Cost matters as well. A tablet costs more at first, yet a class set of "
        "textbooks is replaced every few years. If schools plan repairs and teach pupils to "
        "care for devices, the balance can favour tablets in the long run. What must not "
        "happen is a rushed switch that leaves teachers without training.",
    ),
    SampleEssay(
        "ben_ortiz.txt",
        "ben.ortiz@example.org",
        -2.2,
        "I think tablets are better than books because they are lighter and you can play "
        "educational games on them. My bag is very heavy every day and my back hurts. With a "
        "tablet I could carry all my books at once. Also tablets are more fun so students will "
        "want to learn more. Some people say tablets are distracting but you can block games "
        "during lessons. Books get old and torn and tablets do not. So schools should buy "
        "tablets for everyone because it is the future and everyone uses technology now.",
    ),
    SampleEssay(
        "chloe_hassan.docx",
        "chloe.hassan@example.org",
        2.6,
        "The question is less whether tablets are better than textbooks and more what reading "
        "is for. Research on screen reading suggests that readers skim more and remember the "
        "structure of an argument less well on screens, especially under time pressure. That "
        "matters for history or literature, where following a long argument is the skill being "
        "taught. Yet the same tablets give a language learner instant pronunciation, a "
        "chemistry pupil a molecule to rotate, and a pupil with dyslexia an adjustable font. "
        "A school that replaces every book ignores the first finding; a school that refuses "
        "every tablet ignores the second. A sensible policy keeps printed anchor texts for "
        "sustained reading, budgets for devices where they clearly add something, and "
        "measures the results instead of following fashion.",
    ),
    SampleEssay(
        "david_kim.docx",
        "david.kim@example.org",
        -0.4,
        "Tablets have many advantages. They are light, they can store many books and they can "
        "connect to the internet. Teachers can send homework directly and pupils can hand it in "
        "online. However, there are also disadvantages. Screens can hurt your eyes, and some "
        "families cannot afford to replace a broken device. The internet can also distract "
        "pupils from their work. In conclusion, I believe schools should use tablets in some "
        "lessons but keep books too, because both have good and bad sides.",
    ),
    SampleEssay(
        "emma_novak.pdf",
        "emma.novak@example.org",
        2.2,
        "Replacing textbooks with tablets sounds modern, but modern is not an argument. Before "
        "a school spends its budget, it should ask three questions. First, will pupils learn "
        "more? The evidence is mixed, and it depends on how teachers use the devices rather "
        "than on the devices themselves. Second, is it fair? Pupils without fast internet at "
        "home would lose access to their books every evening, which turns a tool for equality "
        "into a new divide. Third, is it sustainable? Devices need charging, repairs and "
        "replacement, and their batteries are hard to recycle. Only if all three answers are "
        "convincing should a school make the change, and even then gradually, one subject at "
        "a time, with a way back if results fall.",
    ),
    SampleEssay(
        "farid_ali.pdf",
        "farid.ali@example.org",
        -3.0,
        "Books are good. Tablets are also good. I like tablets more because I can watch videos. "
        "But my teacher says books are important. I think we should have both. Tablets can "
        "break if you drop them and books can not break. That is why I think both is the best "
        "answer for schools.",
    ),
)

# Anchor essays of known grade (Swedish A-F, the default scale of ENG5), one per grade from A to
# E, each at its grade's centre on the simulated judge's scale.
ANCHORS: tuple[SampleAnchor, ...] = (
    SampleAnchor(
        "A",
        2.6,
        "Whether tablets should replace textbooks depends on what each is for. Sustained "
        "reading of a long argument is still better supported by print, which readers navigate "
        "by memory and annotate freely, while tablets excel at practice, multimedia and access "
        "for pupils who need adjustable text. A school should therefore decide subject by "
        "subject, fund training and repairs before buying devices, and evaluate the results, "
        "keeping the option to return to print where learning suffers.",
    ),
    SampleAnchor(
        "B",
        1.3,
        "Tablets offer real benefits, but replacing every textbook would be a mistake. A tablet "
        "can carry a whole library, show videos and let teachers update material at once, which "
        "helps in subjects that change quickly. On the other hand, many pupils concentrate "
        "better on paper, and devices cost money to repair and replace. Schools should "
        "introduce tablets where they clearly help, train teachers to use them well, and keep "
        "printed books for longer reading.",
    ),
    SampleAnchor(
        "C",
        0.0,
        "Tablets and textbooks both have advantages. Tablets are light and can hold many books, "
        "and teachers can share material quickly. Textbooks do not need batteries and are "
        "easier to read for a long time. Schools could use tablets for some subjects and keep "
        "books for others, but they must think about the cost and about pupils who cannot "
        "afford a new device if it breaks.",
    ),
    SampleAnchor(
        "D",
        -1.3,
        "Tablets are good for school because you can have all books in one place and look "
        "things up on the internet. But some pupils play games instead of working, and tablets "
        "cost a lot. Books are cheaper. I think schools can use both.",
    ),
    SampleAnchor(
        "E",
        -2.6,
        "I think tablets are good because they are modern and light. Books are heavy. But "
        "tablets can break. Schools should maybe use tablets and books.",
    ),
)


def opening(text: str) -> str:
    return " ".join(text.split()[:OPENING_WORDS])


def declared_qualities() -> dict[str, float]:
    """What simulated_qualities.json holds: each essay's and anchor's opening -> its quality."""
    items: list[SampleEssay | SampleAnchor] = [*ESSAYS, *ANCHORS]
    return {opening(item.text): item.quality for item in items}


ROSTER_CSV = "first_name,last_name,email\n" + "".join(
    f"{name.split('_')[0].title()},{name.split('_')[1].split('.')[0].title()},{essay.author_email}\n"
    for essay in ESSAYS
    for name in [essay.file_name]
)


def path_of(essay: SampleEssay) -> Path:
    return HERE / essay.file_name


def write_files() -> None:
    for essay in ESSAYS:
        suffix = Path(essay.file_name).suffix
        {".txt": _write_txt, ".docx": _write_docx, ".pdf": _write_pdf}[suffix](essay)
    (HERE / "roster.csv").write_text(ROSTER_CSV)
    write_qualities()


def write_qualities() -> None:
    QUALITIES_FILE.write_text(json.dumps(declared_qualities(), indent=2) + "\n")


def _write_txt(essay: SampleEssay) -> None:
    path_of(essay).write_text(f"{PROMPT}\n\n{essay.text}\n")


def _write_docx(essay: SampleEssay) -> None:
    import docx

    document = docx.Document()
    document.add_heading(PROMPT, level=2)
    document.add_paragraph(essay.text)
    document.core_properties.created = datetime(2025, 1, 1, tzinfo=UTC)
    document.save(str(path_of(essay)))


def _write_pdf(essay: SampleEssay) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2025, 1, 1, tzinfo=UTC))
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 7, f"{PROMPT}\n\n{essay.text}")
    pdf.output(str(path_of(essay)))


if __name__ == "__main__":
    write_files()
