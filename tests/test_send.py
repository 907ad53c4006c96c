"""`checker send`: each principal's documents through a real SMTP server on 127.0.0.1
(aiosmtpd): a dry run first, one recipient refused, and a second send skipping what was
delivered."""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from conftest import PROJECT

from checker.cli import cli

ROSTER = [
    ["Mã trường", "Tên trường", "Cấp học", "Hiệu trưởng", "Email", "Điện thoại"],
    [
        "A-01",
        "Trường Tiểu học {{ 7 * 7 }} An Hòa",
        "Tiểu học",
        "Lê Văn An",
        "an@example.edu.vn",
        "1",
    ],
    ["B-02", "Trường THCS Bình Thành", "THCS", "Võ Thị Bình", "refused@example.edu.vn", "2"],
    ["C-03", "Trường Mầm non Châu Bình", "Mầm non", "Trần Thị Chi", "", "0275 3000 103"],
    ["D-04", "Trường Tiểu học Đông", "Tiểu học", "Phan Đức", "dong@example.edu.vn", "4"],
]


class Mailbox:
    """An aiosmtpd handler that keeps what it receives and refuses 'refused@' addresses."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Queued as TEST1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def office(tmp_path: Path, server: tuple[Mailbox, int]) -> Path:
    """An office folder: settings with [smtp] on the test server, a roster, a run's outputs."""
    settings = (PROJECT / "office.toml").read_text(encoding="utf-8")
    smtp = f'\n[smtp]\nhost = "127.0.0.1"\nport = {server[1]}\nstarttls = false\nsender = "phong@example.edu.vn"\n'
    (tmp_path / "office.toml").write_text(settings + smtp, encoding="utf-8")
    with (tmp_path / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROSTER)
    out = tmp_path / "out" / "hk1"
    (out / "scorecards").mkdir(parents=True)
    (out / "data-quality").mkdir()
    (out / "manifest.json").write_text(json.dumps({"semester": "2026-2027/HK1"}))
    for school_id in ("A-01", "B-02", "C-03"):
        (out / "scorecards" / f"{school_id}.pdf").write_bytes(f"%PDF-1.7 {school_id}".encode())
    (out / "data-quality" / "A-01.xlsx").write_bytes(b"PK\x03\x04 quality of A-01")
    return tmp_path


def send(folder: Path, *extra: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(folder)
    return CliRunner().invoke(cli, ["send", "out/hk1", "--roster", "roster.csv", *extra])


def test_a_dry_run_lists_who_gets_what_and_sends_nothing(
    office: Path, server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = send(office, "--lang", "en", monkeypatch=monkeypatch)

    assert result.exit_code == 0, result.output
    assert (
        "A-01" in result.output
        and "an@example.edu.vn: scorecards/A-01.pdf, data-quality/A-01.xlsx" in result.output
    )
    assert "refused@example.edu.vn: scorecards/B-02.pdf" in result.output
    assert "No e-mail address: C-03 Trường Mầm non Châu Bình (0275 3000 103)" in result.output
    assert "No scorecard in this run: D-04" in result.output
    assert "nothing was sent" in result.output
    assert server[0].received == []
    assert not (office / "out" / "hk1-send-log.csv").exists()


def test_each_message_arrives_with_its_files_a_refusal_is_reported_and_logged(
    office: Path, server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = send(office, "--yes", monkeypatch=monkeypatch)

    assert result.exit_code == 1, result.output  # one message could not be sent
    ((recipients, raw),) = server[0].received
    assert recipients == ["an@example.edu.vn"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "an@example.edu.vn"
    assert message["From"].addresses[0].addr_spec == "phong@example.edu.vn"
    assert "Trường Tiểu học {{ 7 * 7 }} An Hòa" in message["Subject"]  # data, not template
    assert "Học kỳ I năm học 2026-2027" in message["Subject"]
    body = message.get_body(("plain",))
    assert body is not None and "Kính gửi" in body.get_content()
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    out = office / "out" / "hk1"
    assert attachments == {
        "A-01.pdf": (out / "scorecards" / "A-01.pdf").read_bytes(),
        "A-01.xlsx": (out / "data-quality" / "A-01.xlsx").read_bytes(),
    }
    assert "refused@example.edu.vn" in result.output and "550" in result.output
    with (office / "out" / "hk1-send-log.csv").open(encoding="utf-8") as handle:
        log = {row["school_id"]: row for row in csv.DictReader(handle)}
    assert set(log) == {"A-01", "B-02"}
    assert log["A-01"]["status"] == "sent" and log["A-01"]["answer"].startswith("250")
    assert log["A-01"]["files"] == "A-01.pdf;A-01.xlsx"
    assert log["A-01"]["sha256"].split(";") == [
        hashlib.sha256((out / "scorecards" / "A-01.pdf").read_bytes()).hexdigest(),
        hashlib.sha256((out / "data-quality" / "A-01.xlsx").read_bytes()).hexdigest(),
    ]
    assert log["B-02"]["status"] == "failed" and "550" in log["B-02"]["answer"]


def test_sending_again_skips_what_was_delivered(
    office: Path, server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    send(office, "--yes", monkeypatch=monkeypatch)
    # The principal of B gives a working address; A's documents are unchanged.
    roster = (office / "roster.csv").read_text(encoding="utf-8")
    (office / "roster.csv").write_text(roster.replace("refused@", "binh@"), encoding="utf-8")

    again = send(office, "--yes", "--lang", "en", monkeypatch=monkeypatch)

    assert again.exit_code == 0, again.output
    assert "Already delivered, skipped: 1" in again.output
    assert [r for r, _ in server[0].received] == [["an@example.edu.vn"], ["binh@example.edu.vn"]]
    # A changed scorecard (a new run) is sent again.
    (office / "out" / "hk1" / "scorecards" / "A-01.pdf").write_bytes(b"%PDF-1.7 new run")
    third = send(office, "--yes", monkeypatch=monkeypatch)
    assert third.exit_code == 0, third.output
    assert [r for r, _ in server[0].received][-1] == ["an@example.edu.vn"]
    assert len(server[0].received) == 3


def test_wrong_smtp_settings_stop_before_anything_is_sent(
    office: Path, server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = (office / "office.toml").read_text(encoding="utf-8")
    (office / "office.toml").write_text(settings.replace("starttls = false", 'starttls = "no"'))

    result = send(office, "--yes", "--lang", "en", monkeypatch=monkeypatch)

    assert result.exit_code == 2
    assert "starttls" in result.output and "Traceback" not in result.output
    assert server[0].received == []


def test_an_unreachable_mail_server_is_one_sentence_and_nothing_is_sent(
    office: Path, server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = free_port()  # bound and released: nothing listens there
    settings = (office / "office.toml").read_text(encoding="utf-8")
    (office / "office.toml").write_text(settings.replace(f"port = {server[1]}", f"port = {closed}"))

    result = send(office, "--yes", "--lang", "en", monkeypatch=monkeypatch)

    assert result.exit_code == 2
    (sentence,) = result.output.strip().splitlines()[-1:]
    assert sentence.startswith(f"Error: The mail server 127.0.0.1:{closed} cannot be used: ")
    assert "Traceback" not in result.output
    assert server[0].received == []
    assert "Sent" not in result.output
