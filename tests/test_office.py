"""The issuing unit's settings: the shipped files load, every key is checked, hostile files give
one sentence naming the file and the key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import check_table, school, write_csv

from checker import paths
from checker.i18n import load_translator
from checker.model import InputError
from checker.office import (
    OFFICE_KEYS,
    OfficeSettingsError,
    Signer,
    document_symbol,
    load_office,
    load_unit_id,
    office_warnings,
    read_office,
)

PROVINCE = paths.DEFAULT_OFFICE.parent / "office-so-gddt-ben-tre.toml"
SHIPPED = [paths.DEFAULT_OFFICE, PROVINCE]
VI = load_translator("vi")
EN = load_translator("en")

# A small valid file; the hostile cases below change one line of it.
MINIMAL = """\
unit_id = "ubnd-xa-mau"
kind = "commune"

[signer]
name = "Nguyễn Văn Bình"
prefix = "KT."

[document]
notice_symbol = "{number}/TB-UBND"
report_symbol = "{number}/BC-UBND"
remediation_days = 20

[vi]
parent_authority = ""
name = "ỦY BAN NHÂN DÂN\\nXÃ MẪU"
area = "toàn xã"
place = "Mẫu"
plan = "Kế hoạch chuyển đổi số của xã"
signer_authority_title = "CHỦ TỊCH"
signer_title = "PHÓ CHỦ TỊCH"
report_recipients = ["Sở GD&ĐT (để b/c);"]
archive = "VT, VHXH"
"""


def write(tmp_path: Path, text: str, name: str = "office.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_shipped_settings_load_in_both_languages(path: Path, lang: str) -> None:
    office = read_office(path, lang)
    assert office.unit_id and office.name and office.place and office.plan
    assert office.signer.name, "the shipped examples name their (fictitious) signer"
    assert office.archive and office.report_recipients
    assert "{number}" in office.notice_symbol and "{number}" in office.report_symbol
    assert office.deadline(dt.date(2026, 11, 29)) is not None
    assert office_warnings(office, VI) == []


def test_the_sample_district_is_a_pre_2025_district_office() -> None:
    office = read_office(paths.DEFAULT_OFFICE, "vi")
    assert office.kind == "district_office"
    assert office.area == "toàn huyện"
    assert office.signer.title_lines == ("TRƯỞNG PHÒNG",)
    assert office.deadline(dt.date(2026, 11, 29)) == dt.date(2026, 12, 29)


def test_the_provincial_department_speaks_of_the_province_and_never_of_a_district() -> None:
    office = read_office(PROVINCE, "vi")
    assert office.kind == "province_department"
    assert office.area == "toàn tỉnh"
    assert office.signer.title_lines == ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
    assert office.deadline(dt.date(2026, 11, 29)) == dt.date(2027, 1, 15)
    words = " ".join([*office.texts.values(), *office.report_recipients]).lower()
    assert "huyện" not in words and "phòng giáo dục" not in words


def test_load_office_keeps_the_keys_templates_read_and_adds_the_new_ones() -> None:
    texts = load_office(paths.DEFAULT_OFFICE, "vi")
    assert set(OFFICE_KEYS) <= set(texts)
    assert all(isinstance(value, str) for value in texts.values())
    assert texts["name"] == "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO"
    assert texts["area"] == "toàn huyện"
    assert texts["signer_heading"] == ""


def test_english_falls_back_to_vietnamese_key_by_key() -> None:
    office = read_office(paths.DEFAULT_OFFICE, "en")
    assert office.name == "DIVISION OF EDUCATION AND TRAINING"
    assert office.place == "Giồng Trôm"  # no English place given


def test_unit_id_is_read_from_the_file() -> None:
    assert load_unit_id(paths.DEFAULT_OFFICE) == "pgd-giong-trom"
    assert load_unit_id(PROVINCE) == "sgddt-ben-tre"


def test_a_commune_with_no_parent_authority_and_a_two_line_name(tmp_path: Path) -> None:
    office = read_office(write(tmp_path, MINIMAL), "en")
    assert office.parent_authority == ""
    assert office.name == "ỦY BAN NHÂN DÂN\nXÃ MẪU"
    assert office.notice_recipients == ()
    assert office.contact.name == "" and office.contact.email == ""


@pytest.mark.parametrize(
    ("prefix", "lines"),
    [
        ("", ("GIÁM ĐỐC",)),
        ("Q.", ("Q. GIÁM ĐỐC",)),
        ("KT.", ("KT. GIÁM ĐỐC", "GIÁM ĐỐC")),
        ("TL.", ("TL. GIÁM ĐỐC", "GIÁM ĐỐC")),
    ],
)
def test_the_title_block_follows_the_prefix(prefix: str, lines: tuple[str, ...]) -> None:
    assert Signer("A", prefix, "GIÁM ĐỐC", "GIÁM ĐỐC").title_lines == lines


def test_document_symbols_pad_small_numbers_and_leave_room_when_there_is_none() -> None:
    assert document_symbol("{number}/TB-SGDĐT", 5) == "05/TB-SGDĐT"
    assert document_symbol("{number}/TB-SGDĐT", 123) == "123/TB-SGDĐT"
    blank = document_symbol("{number}/TB-SGDĐT", None)
    assert blank.endswith("/TB-SGDĐT") and blank[:-9].strip() == ""
    assert len(blank) > len("/TB-SGDĐT") + 4


def test_an_empty_signer_name_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('name = "Nguyễn Văn Bình"', 'name = ""'))
    [warning] = office_warnings(read_office(path, "vi"), VI)
    assert "office.toml" in warning and "signer.name" in warning


HUGE = "A" * 5_000
HOSTILE = [
    # (what is changed, replaced by, a word the sentence must hold)
    ('unit_id = "ubnd-xa-mau"', 'unit_id = "Xã Mẫu!"', "unit_id"),
    ('unit_id = "ubnd-xa-mau"', "unit_id = 12", "unit_id"),
    ('kind = "commune"', 'kind = "district"', "kind"),
    ('kind = "commune"', "kind = [1, 2]", "kind"),
    ('prefix = "KT."', 'prefix = "KT"', "signer.prefix"),
    ('name = "Nguyễn Văn Bình"', "name = 5", "signer.name"),
    ('name = "Nguyễn Văn Bình"', "name = { first = 'A' }", "signer.name"),
    ('place = "Mẫu"', "place = { nested = { deeper = 'x' } }", "vi.place"),
    ('place = "Mẫu"', "place = true", "vi.place"),
    ('place = "Mẫu"', f'place = "{HUGE}"', "vi.place"),
    ('place = "Mẫu"', 'place = "  "', "vi.place"),
    ('place = "Mẫu"', 'place = "Mẫu\\u0007"', "vi.place"),
    ('place = "Mẫu"', 'place = "Mẫu\\nXã"', "vi.place"),
    ('area = "toàn xã"', 'aera = "toàn xã"', "aera"),
    ('area = "toàn xã"', "", "vi.area"),
    ('signer_authority_title = "CHỦ TỊCH"', "", "signer_authority_title"),
    ('report_recipients = ["Sở GD&ĐT (để b/c);"]', 'report_recipients = "Sở"', "report_recipients"),
    (
        'report_recipients = ["Sở GD&ĐT (để b/c);"]',
        "report_recipients = [1]",
        "report_recipients[0]",
    ),
    (
        'report_recipients = ["Sở GD&ĐT (để b/c);"]',
        f"report_recipients = {['x'] * 500}",
        "report_recipients",
    ),
    ('notice_symbol = "{number}/TB-UBND"', 'notice_symbol = "TB-UBND"', "notice_symbol"),
    (
        'notice_symbol = "{number}/TB-UBND"',
        'notice_symbol = "{number}/{number.__class__}"',  # {number} is there: the braces refuse
        "notice_symbol",
    ),
    ('notice_symbol = "{number}/TB-UBND"', 'notice_symbol = "{number}/{other}"', "notice_symbol"),
    ("remediation_days = 20", "remediation_days = 100000000000", "remediation_days"),
    ("remediation_days = 20", "remediation_days = true", "remediation_days"),
    ("remediation_days = 20", 'remediation_deadline = "15/01/2027"', "remediation_deadline"),
    ("remediation_days = 20", "remediation_deadline = 2027-01-15T08:00:00", "remediation_deadline"),
    (
        "remediation_days = 20",
        "remediation_days = 2\nremediation_deadline = 2027-01-15",
        "remediation_days",
    ),
    ("[vi]", "[contact]\nemail = 'not an address'\n[vi]", "contact.email"),
    ("[vi]", "[contact]\nphone = '0275; DROP TABLE'\n[vi]", "contact.phone"),
    ('kind = "commune"', 'kind = "commune"\ncontact = "Ms Lan"', "[contact]"),  # not a table
    ('kind = "commune"', 'kind = "commune"\nen = "English"', "[en]"),  # not a table
    ('kind = "commune"', 'kind = "commune"\n[en]\nname = 7', "en.name"),
    ('unit_id = "ubnd-xa-mau"', "", "unit_id"),
    ('kind = "commune"', "kind = = 1", "TOML"),
]


@pytest.mark.parametrize(("old", "new", "word"), HOSTILE)
def test_a_hostile_file_gives_one_sentence_naming_the_file_and_key(
    tmp_path: Path, old: str, new: str, word: str
) -> None:
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new, 1), "xa-mau.toml")
    with pytest.raises(OfficeSettingsError) as caught:
        read_office(path, "vi")
    for gettext in (VI.gettext, EN.gettext):
        sentence = caught.value.translate(gettext)
        assert sentence.startswith("xa-mau.toml: ")
        assert word in sentence
        assert "\n" not in sentence and len(sentence) < 400
    assert "{" not in caught.value.translate(VI.gettext).replace("{number", "")


def test_words_inside_the_sentence_are_translated_too(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('place = "Mẫu"', "place = { a = 1 }"))
    with pytest.raises(OfficeSettingsError) as caught:
        read_office(path, "vi")
    assert "a table" in caught.value.translate(EN.gettext)
    assert "a table" not in caught.value.translate(VI.gettext)


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00garbage", b"x" * (70 * 1024), b""],
    ids=["not utf-8", "too large", "empty"],
)
def test_files_that_are_no_settings_at_all(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "office.toml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"office\.toml"):
        read_office(path, "vi")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.toml"):
        read_office(tmp_path / "nowhere.toml", "vi")


def test_the_cli_refuses_a_hostile_office_file_before_writing_anything(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "schools.csv", [school()])
    office = write(tmp_path, MINIMAL.replace('place = "Mẫu"', "place = [[1], {a = 2}]"), "bad.toml")
    result = check_table(source, tmp_path, "--office", str(office))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "bad.toml" in line and "vi.place" in line
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "h.db").exists()


def test_the_cli_warns_once_about_an_empty_signer_name(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "schools.csv", [school()])
    office = write(tmp_path, MINIMAL.replace('name = "Nguyễn Văn Bình"', 'name = ""'))
    result = check_table(source, tmp_path, "--office", str(office))
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "signer.name" in line]
    assert len(warnings) == 1
    assert re.search(r"office\.toml", warnings[0])
