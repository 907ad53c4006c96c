"""Signatures: an empty field over the signer's space, then a batch signed with a key made here and
validated with pyHanko (intact, trusted, covering the whole file)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from checker import paths
from checker.cli import cli
from checker.i18n import load_translator
from checker.render import make_safe_fetcher
from checker.sign import (
    FIELD_NAME,
    PASSWORD_VARIABLE,
    SigningError,
    empty_signature_fields,
    load_signer,
    read_password,
    sign_folder,
    sign_pdf,
    signed_folder,
    stamp_style,
    with_signature_field,
)

PASSWORD = "mật khẩu 2027"
SIGNER = "Lê Văn Minh"
BOX = (340.0, 120.0, 520.0, 190.0)
VI = load_translator("vi")


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, x509.Certificate]:
    """A PKCS#12 file with a self-signed signing certificate, made here."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, SIGNER),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"signer",
        key,
        cert,
        None,
        serialization.BestAvailableEncryption(PASSWORD.encode("utf-8")),
    )
    path = tmp_path_factory.mktemp("keys") / "signer.p12"
    path.write_bytes(data)
    return path, cert


def page_pdf(text: str) -> bytes:
    """A real one-page PDF from WeasyPrint, with a signer's title and name."""
    from weasyprint import HTML

    html = (
        f"<p>{text}</p><div style='margin-left:60%;text-align:center'>"
        f"<b>TRƯỞNG PHÒNG</b><div style='height:25mm'></div><b>{SIGNER}</b></div>"
    )
    fetcher = make_safe_fetcher(str(paths.TEMPLATES_DIR))
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())


def validate(data: bytes, cert: x509.Certificate) -> object:
    reader = PdfFileReader(io.BytesIO(data))
    [signature] = reader.embedded_signatures
    root = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))


def test_the_field_is_empty_named_and_where_it_was_asked() -> None:
    data = with_signature_field(page_pdf("Thông báo"), 0, BOX)
    assert empty_signature_fields(data) == [FIELD_NAME]
    assert empty_signature_fields(page_pdf("no field")) == []
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        [widget] = pdf.pages[0].Annots
        assert [float(v) for v in widget.Rect] == list(BOX)
        assert widget.FT == "/Sig" and int(widget.F) == 4


def test_a_signed_pdf_validates_intact_trusted_and_covering_the_whole_file(
    key_file: tuple[Path, x509.Certificate],
) -> None:
    path, cert = key_file
    unsigned = with_signature_field(page_pdf("Thông báo kết quả"), 0, BOX)
    signer = load_signer(path, PASSWORD.encode("utf-8"))
    signed = sign_pdf(unsigned, signer, stamp_style(VI), "x.pdf")
    assert signed.startswith(unsigned)  # an incremental update: the document's bytes are kept
    status = validate(signed, cert)
    assert status.intact and status.valid and status.trusted  # type: ignore[attr-defined]
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE  # type: ignore[attr-defined]
    assert empty_signature_fields(signed) == []
    reader = PdfFileReader(io.BytesIO(signed))
    assert reader.embedded_signatures[0].sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    widget = reader.root["/AcroForm"]["/Fields"][0]
    assert b"BT" in widget["/AP"]["/N"].get_object().data  # visible: text drawn in the field


def test_a_wrong_password_or_a_file_that_is_no_key_is_one_sentence(
    key_file: tuple[Path, x509.Certificate], tmp_path: Path
) -> None:
    path, _ = key_file
    with pytest.raises(SigningError, match=r"^signer\.p12: "):
        load_signer(path, b"wrong")
    junk = tmp_path / "junk.p12"
    junk.write_bytes(b"not a key" * 100)
    with pytest.raises(SigningError, match=r"^junk\.p12: "):
        load_signer(junk, PASSWORD.encode())
    with pytest.raises(SigningError, match=r"^none\.p12: "):
        load_signer(tmp_path / "none.p12", PASSWORD.encode())


def test_the_password_comes_from_the_environment_or_a_prompt() -> None:
    asked: list[bool] = []

    def ask() -> str:
        asked.append(True)
        return "typed"

    assert read_password({PASSWORD_VARIABLE: "env"}, ask) == b"env" and not asked
    assert read_password({}, ask) == b"typed" and asked


def make_run_folder(root: Path, with_fields: bool = True) -> Path:
    out = root / "out"
    (out / "scorecards").mkdir(parents=True)
    for relative in ("summary.pdf", "scorecards/08304007.pdf", "scorecards/TH01.pdf"):
        data = page_pdf(relative)
        (out / relative).write_bytes(with_signature_field(data, 0, BOX) if with_fields else data)
    return out


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.pdf"))
    }


def test_a_batch_is_signed_beside_the_unsigned_files_which_stay_as_they_were(
    key_file: tuple[Path, x509.Certificate], tmp_path: Path
) -> None:
    path, cert = key_file
    out = make_run_folder(tmp_path)
    before = digests(out)
    signer = load_signer(path, PASSWORD.encode("utf-8"))
    target = signed_folder(out)
    assert target == tmp_path.resolve() / "out-signed"
    signed = sign_folder(out, target, signer, VI)
    assert [s.target.relative_to(target).as_posix() for s in signed] == [
        "summary.pdf",
        "scorecards/08304007.pdf",
        "scorecards/TH01.pdf",
    ]
    assert digests(out) == before  # nothing added to or changed in the run's folder
    for item in signed:
        status = validate(item.target.read_bytes(), cert)
        assert status.intact and status.valid  # type: ignore[attr-defined]
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE  # type: ignore[attr-defined]
    # Signing again signs the originals again (the signed copies are never signed twice).
    assert len(sign_folder(out, target, signer, VI)) == 3


def test_a_document_without_a_field_stops_the_batch_before_anything_is_signed(
    key_file: tuple[Path, x509.Certificate], tmp_path: Path
) -> None:
    path, _ = key_file
    out = make_run_folder(tmp_path, with_fields=False)
    with pytest.raises(SigningError, match=r"summary\.pdf"):
        sign_folder(out, tmp_path / "signed", load_signer(path, PASSWORD.encode("utf-8")), VI)
    assert not (tmp_path / "signed").exists()


def test_checker_sign_takes_the_password_from_the_environment_never_an_option(
    key_file: tuple[Path, x509.Certificate], tmp_path: Path
) -> None:
    path, cert = key_file
    out = make_run_folder(tmp_path)
    help_text = CliRunner().invoke(cli, ["sign", "--help"]).output
    assert "--p12" in help_text and "--password" not in help_text and "Example" in help_text
    runner = CliRunner()
    result = runner.invoke(
        cli, ["sign", str(out), "--p12", str(path)], env={PASSWORD_VARIABLE: PASSWORD}
    )
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out-signed").rglob("*.pdf"))) == 3
    status = validate((tmp_path / "out-signed" / "summary.pdf").read_bytes(), cert)
    assert status.intact and status.valid  # type: ignore[attr-defined]


def test_checker_sign_asks_for_the_password_and_refuses_a_wrong_one(
    key_file: tuple[Path, x509.Certificate], tmp_path: Path
) -> None:
    path, _ = key_file
    out = make_run_folder(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["sign", str(out), "--p12", str(path)], input="wrong\n", env={PASSWORD_VARIABLE: None}
    )
    assert result.exit_code == 2
    assert "signer.p12" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out-signed").exists()
    result = runner.invoke(
        cli,
        ["sign", str(out), "--p12", str(path)],
        input=PASSWORD + "\n",
        env={PASSWORD_VARIABLE: None},
    )
    assert result.exit_code == 0, result.output


def test_what_checker_run_writes_is_signed_visibly_in_its_own_field(
    key_file: tuple[Path, x509.Certificate], tmp_path: Path
) -> None:
    # The run's PDFs carry the empty field over the signer's space; signing fills that very
    # field (same rectangle, an appearance drawn), and the signature covers the whole file.
    import pikepdf
    from conftest import check_table, school, write_csv

    table = write_csv(tmp_path / "t.csv", [school(school_id="S1"), school(school_id="S2")])
    assert check_table(table, tmp_path, "--date", "2026-11-29").returncode == 0
    out = tmp_path / "out"
    path, cert = key_file
    signed = sign_folder(out, signed_folder(out), load_signer(path, PASSWORD.encode()), VI)
    assert len(signed) == 3
    for item in signed:
        with pikepdf.open(item.source) as before:
            [field] = before.Root.AcroForm.Fields
            rect = [float(v) for v in field.Rect]
        data = item.target.read_bytes()
        status = validate(data, cert)
        assert status.intact and status.valid  # type: ignore[attr-defined]
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE  # type: ignore[attr-defined]
        reader = PdfFileReader(io.BytesIO(data))
        [field] = reader.root["/AcroForm"]["/Fields"]
        widget = field.get_object()
        assert widget["/T"] == FIELD_NAME and "/V" in widget
        assert [float(v) for v in widget["/Rect"]] == rect
        assert b"BT" in widget["/AP"]["/N"].get_object().data  # drawn (unsigned: "q Q" only)
