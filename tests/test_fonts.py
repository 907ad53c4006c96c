"""The bundled serif (Liberation Serif, metric-compatible with Times New Roman): four faces, every
Vietnamese letter, embedded in a PDF and extracted back exactly."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from checker import paths
from checker.render import make_safe_fetcher

FONTS = paths.TEMPLATES_DIR / "fonts"
FACES = {
    "LiberationSerif-Regular.ttf": ("normal", "normal"),
    "LiberationSerif-Bold.ttf": ("bold", "normal"),
    "LiberationSerif-Italic.ttf": ("normal", "italic"),
    "LiberationSerif-BoldItalic.ttf": ("bold", "italic"),
}
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # huyền, sắc, ngã, hỏi, nặng
VOWELS = "aăâeêioôơuưy"
LETTERS = sorted(
    {unicodedata.normalize("NFC", v + tone) for v in VOWELS for tone in TONES}
    | {"đ"}
    | set("bcdghklmnpqrstvx")
)
VIETNAMESE = LETTERS + [letter.upper() for letter in LETTERS]
MOTTO = "Quốc hiệu CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc"


def test_every_vietnamese_letter_is_in_every_face() -> None:
    assert len(VIETNAMESE) == 2 * (12 * 6 + 1 + 16)
    for name in FACES:
        cmap = TTFont(FONTS / name).getBestCmap()
        missing = [c for c in VIETNAMESE if ord(c) not in cmap]
        assert not missing, f"{name} lacks {''.join(missing)}"


def test_the_licence_travels_with_the_fonts() -> None:
    licence = (FONTS / "LICENSE-LiberationSerif.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Reserved Font Name Liberation" in licence


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from weasyprint import HTML

    faces = "".join(
        f'@font-face {{ font-family: "Liberation Serif"; font-weight: {weight}; '
        f"font-style: {style}; src: url(fonts/{name}); }}"
        for name, (weight, style) in FACES.items()
    )
    lines = "".join(
        f'<p style="font-weight:{weight};font-style:{style}">{MOTTO} {" ".join(VIETNAMESE)}</p>'
        for weight, style in FACES.values()
    )
    html = f'<style>{faces} html {{ font-family: "Liberation Serif"; }}</style>{lines}'
    fetcher = make_safe_fetcher(str(paths.TEMPLATES_DIR))
    pdf = HTML(string=html, base_url=str(paths.TEMPLATES_DIR) + "/", url_fetcher=fetcher)
    path = tmp_path_factory.mktemp("fonts") / "motto.pdf"
    pdf.write_pdf(path)
    return path


def test_vietnamese_text_comes_back_from_the_pdf_in_all_four_faces(sample_pdf: Path) -> None:
    text = subprocess.run(
        ["pdftotext", str(sample_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = unicodedata.normalize("NFC", " ".join(text.split()))
    assert flat.count(MOTTO) == 4
    # pdftotext does not keep the spaces between single letters: compare without them.
    assert "".join(flat.split()).count("".join(VIETNAMESE)) == 4


def test_all_four_faces_are_embedded(sample_pdf: Path) -> None:
    fonts = subprocess.run(
        ["pdffonts", str(sample_pdf)], capture_output=True, text=True, check=True
    ).stdout
    names = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
    assert names == {
        "Liberation-Serif",
        "Liberation-Serif-Bold",
        "Liberation-Serif-Italic",
        "Liberation-Serif-Bold-Italic",
    }
    assert all(" yes " in line for line in fonts.splitlines()[2:])  # embedded
