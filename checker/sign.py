"""Digital signatures: an empty signature field where the signer signs, and batch signing.

Government signers sign on their own machine with a USB token and the vendor's tool
(Nghị định 68/2024/NĐ-CP); what software can do is hand them a correctly laid-out PDF with an
empty signature field over the space between the signer's title and name (ô 7c of Nghị định
30/2020), so the tool signs in the right place. `checker sign OUT_DIR --p12 FILE` signs every
scorecard and the summary in one batch with a PKCS#12 key file instead: PAdES (ETSI.CAdES.
detached), visibly in that field, as an incremental update that keeps the document's bytes.
The unsigned files stay as they are; the signed copies go beside the output folder, to
OUT_DIR-signed/ under the same names (not inside it: the output folder holds only what
`checker run` wrote, and a later run into it would refuse anything else).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker import paths
from checker.i18n import N_, Translator
from checker.model import InputError

FIELD_NAME = "Signature"
SIGNED_SUFFIX = "-signed"
STAMP_FONT = paths.TEMPLATES_DIR / "fonts" / "LiberationSerif-Regular.ttf"
PASSWORD_VARIABLE = "CHECKER_P12_PASSWORD"
MAX_P12_BYTES = 1024 * 1024  # a key file is a few KB

STAMP_TEXT = N_("Signed by: %(signer)s\nTime: %(ts)s")
MSG_NO_P12 = N_("{file}: the key file does not exist.")
MSG_BAD_P12 = N_(
    "{file}: the key file cannot be opened (wrong password, or not a PKCS#12 .p12/.pfx file)."
)
MSG_NO_PDFS = N_("{folder}: no scorecards or summary to sign (run checker run first).")
MSG_NO_FIELD = N_(
    "{file}: the PDF has no empty signature field (already signed, or made by an older "
    "checker: run checker run again)."
)

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points from the bottom left


class SigningError(InputError):
    """The key file or a PDF cannot be used: an English message id and its parameters."""

    def __init__(self, msgid: str, params: dict[str, str]) -> None:
        super().__init__(msgid, params)
        self.msgid: str = msgid
        self.params: dict[str, str] = params

    def __str__(self) -> str:
        return self.msgid.format(**self.params)


@dataclass(frozen=True)
class SignedFile:
    """One signed copy: where it came from and where it went."""

    source: Path
    target: Path


def add_signature_field(pdf: Any, page_index: int, box: Box) -> None:
    """Add an empty, printable signature field named FIELD_NAME over `box` on a page of an open
    pikepdf.Pdf (render adds it while it cuts the scorecards, at no extra read or write)."""
    import pikepdf

    page = pdf.pages[page_index]
    # An empty appearance: PDF/A wants every printable widget to have one.
    width, height = round(box[2] - box[0], 2), round(box[3] - box[1], 2)
    appearance = pdf.make_stream(
        b"q Q",  # draws nothing (a stream of no bytes would be an invalid compressed stream)
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Form,
        BBox=pikepdf.Array([0, 0, width, height]),
    )
    widget = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Sig,
            T=pikepdf.String(FIELD_NAME),
            Rect=pikepdf.Array([round(v, 2) for v in box]),
            F=4,  # printable
            P=page.obj,
            AP=pikepdf.Dictionary(N=appearance),
        )
    )
    if "/Annots" not in page.obj:
        page.obj.Annots = pdf.make_indirect(pikepdf.Array())
    page.obj.Annots.append(widget)
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([widget]))


def with_signature_field(data: bytes, page_index: int, box: Box) -> bytes:
    """A PDF's bytes with an empty signature field added (see add_signature_field)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        add_signature_field(pdf, page_index, box)
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
        return buffer.getvalue()


def empty_signature_fields(data: bytes) -> list[str]:
    """The names of a PDF's signature fields that are not signed yet."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    return [name for name, value, _ in enumerate_sig_fields(reader) if value is None]


def read_password(environ: dict[str, str], ask: Callable[[], str]) -> bytes:
    """The key file's password: from $CHECKER_P12_PASSWORD, else asked (never an argument,
    which would stay in the shell history and the process list)."""
    password = environ.get(PASSWORD_VARIABLE)
    return (password if password is not None else ask()).encode("utf-8")


def load_signer(p12: Path, password: bytes) -> Any:
    """The signer (key and certificates) from a PKCS#12 file, or SigningError."""
    from pyhanko.sign import signers

    try:
        with p12.open("rb") as handle:
            data = handle.read(MAX_P12_BYTES + 1)
    except FileNotFoundError:
        raise SigningError(MSG_NO_P12, {"file": p12.name}) from None
    except OSError:
        raise SigningError(MSG_BAD_P12, {"file": p12.name}) from None
    if len(data) > MAX_P12_BYTES:
        raise SigningError(MSG_BAD_P12, {"file": p12.name})
    try:
        return signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password)
    except (ValueError, TypeError):
        raise SigningError(MSG_BAD_P12, {"file": p12.name}) from None


def stamp_style(t: Translator) -> Any:
    """The visible signature: who signed and when, in the project's serif (Vietnamese)."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(
        stamp_text=t.gettext(STAMP_TEXT),
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(STAMP_FONT), font_size=9)),
        border_width=1,
        timestamp_format="%d/%m/%Y %H:%M:%S %z",
    )


def sign_pdf(data: bytes, signer: Any, style: Any, name: str) -> bytes:
    """The PDF signed (PAdES baseline B, SHA-256) in its empty signature field."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    fields_left = empty_signature_fields(data)
    if not fields_left:
        raise SigningError(MSG_NO_FIELD, {"file": name})
    metadata = signers.PdfSignatureMetadata(
        field_name=fields_left[0],
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    output = io.BytesIO()
    signers.PdfSigner(metadata, signer=signer, stamp_style=style).sign_pdf(writer, output=output)
    return output.getvalue()


def documents_to_sign(out_dir: Path) -> list[Path]:
    """The run's summary and scorecards (never the signed copies), in a stable order."""
    found = [out_dir / "summary.pdf"] if (out_dir / "summary.pdf").is_file() else []
    found += sorted((out_dir / "scorecards").glob("*.pdf"))
    return [path for path in found if not path.is_symlink()]


def signed_folder(out_dir: Path) -> Path:
    """Where the signed copies of a run go by default: OUT_DIR-signed beside OUT_DIR."""
    resolved = out_dir.resolve()
    return resolved.with_name(resolved.name + SIGNED_SUFFIX)


def sign_folder(
    out_dir: Path,
    target_dir: Path,
    signer: Any,
    t: Translator,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[SignedFile]:
    """Sign every document of a run into `target_dir`, under the same relative names;
    SigningError (nothing written) when there is nothing to sign or a document has no empty
    field, checked before signing any."""
    from checker.outfiles import write_atomic

    documents = documents_to_sign(out_dir)
    if not documents:
        raise SigningError(MSG_NO_PDFS, {"folder": str(out_dir)})
    # Every document is checked before the first is signed: a batch is signed whole or not at
    # all. Read twice rather than held: a province's 5,000 scorecards are ~150 MB.
    for path in documents:
        if not empty_signature_fields(path.read_bytes()):
            raise SigningError(MSG_NO_FIELD, {"file": path.relative_to(out_dir).as_posix()})
    style = stamp_style(t)
    signed = []
    for done, path in enumerate(documents, start=1):
        relative = path.relative_to(out_dir)
        target = target_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, sign_pdf(path.read_bytes(), signer, style, relative.as_posix()))
        signed.append(SignedFile(path, target))
        if on_progress:
            on_progress(done, len(documents))
    return signed
