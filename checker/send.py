"""Sending each principal their documents by e-mail (`checker send OUT_DIR`).

For every school of the roster with a scorecard in a run's output folder, one message to the
principal's address: the scorecard (`scorecards/<id>.pdf`) and, when the run wrote one, the
school's data-quality file (`data-quality/<id>.xlsx`). Subject and body come from a plain-text
Jinja2 template (templates/email.txt, or the office's own copy with --template): its first line
is the subject, the rest after a blank line the body. School data reaches the template as
values, never as template text, in a sandbox.

Nothing is sent without `yes`: a dry run lists who would get what, and the schools without an
address. Messages go through the office's SMTP server ([smtp] in office.toml: host, port,
STARTTLS, sender, user); the password comes from $CHECKER_SMTP_PASSWORD or a prompt, never an
option or a file. Each message is sent on its own: a refusal is recorded and the rest go on.
The send log (a CSV beside the output folder) records each message's recipient, files, their
sha256 and the server's answer; a message already delivered with the same files is skipped
when sending again.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import re
import smtplib
import ssl
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from checker import paths
from checker.files import FileError, read_regular_file
from checker.i18n import N_, Translator
from checker.roster import Roster, RosterSchool
from checker.write import school_quality_relpath, scorecard_relpath

PASSWORD_VARIABLE = "CHECKER_SMTP_PASSWORD"
TEMPLATE_NAME = "email.txt"
LOG_FIELDS = ("time", "school_id", "recipient", "files", "sha256", "status", "answer")
DEFAULT_PORT = 587
TIMEOUT = 60  # seconds for the server to answer
MAX_TEMPLATE_BYTES = 64 * 1024
SMTP_KEYS = ("host", "port", "starttls", "sender", "user")

MSG_NO_SMTP = N_(
    "{file} has no [smtp] section: give the office's mail server (host, port, starttls, "
    "sender) to send the documents."
)
MSG_SMTP_KEY = N_("{file}: [smtp] {key} {problem}.")
MSG_NOT_RUN = N_("{folder} holds no run's outputs (no manifest.json): run checker run first.")
MSG_TEMPLATE = N_("The e-mail template {file} cannot be used: {reason}.")
MSG_CONNECT = N_("The mail server {host}:{port} cannot be used: {reason}.")

_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+")


class SendError(FileError):
    """The settings, the output folder or the template cannot be used: nothing is sent."""

    def translate(self, gettext: Callable[[str], str]) -> str:
        """The sentence in the language of `gettext`, what is wrong with a key translated too."""
        params = {k: gettext(v) if k == "problem" else v for k, v in self.params.items()}
        return gettext(self.msgid).format(**params)


@dataclass(frozen=True)
class SmtpSettings:
    """The office's mail server, from [smtp] in the office settings."""

    host: str
    port: int
    starttls: bool
    sender: str
    user: str  # '' for a server that takes mail without logging in


@dataclass(frozen=True)
class Message:
    """One message to send: to whom, with which files."""

    school: RosterSchool
    files: tuple[Path, ...]
    hashes: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        """What a delivered message is recognised by in the log: school, address, files."""
        return (self.school.school_id, self.school.email, ";".join(self.hashes))


@dataclass(frozen=True)
class Plan:
    """What a send would do: messages, schools without an address or a scorecard."""

    messages: tuple[Message, ...]
    delivered: tuple[Message, ...]  # already delivered with the same files: skipped
    no_email: tuple[RosterSchool, ...]
    no_scorecard: tuple[RosterSchool, ...]
    semester: str


@dataclass(frozen=True)
class Outcome:
    """One message's fate: sent or not, and what the server answered."""

    message: Message
    sent: bool
    answer: str


def has_smtp(office_path: Path) -> bool:
    """Whether the office settings have an [smtp] section."""
    return "smtp" in tomllib.loads(office_path.read_text(encoding="utf-8"))


def smtp_settings(office_path: Path) -> SmtpSettings:
    """The [smtp] table of the office settings (checked by checker.office for its place; its
    keys are checked here); SendError naming the file and the key when wrong or absent."""
    file = office_path.name
    table = tomllib.loads(office_path.read_text(encoding="utf-8")).get("smtp")
    if not isinstance(table, dict):
        raise SendError(MSG_NO_SMTP, {"file": file})

    def wrong(key: str, problem: str) -> SendError:
        return SendError(MSG_SMTP_KEY, {"file": file, "key": key, "problem": problem})

    for key in table:
        if key not in SMTP_KEYS:
            raise wrong(
                key, N_("is not a key of [smtp] (allowed: host, port, starttls, sender, user)")
            )
    host, sender, user = (table.get(key, "") for key in ("host", "sender", "user"))
    if not isinstance(host, str) or not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
        raise wrong("host", N_("must be the server's name, e.g. smtp.example.edu.vn"))
    port = table.get("port", DEFAULT_PORT)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise wrong("port", N_("must be a whole number from 1 to 65535"))
    starttls = table.get("starttls", True)
    if not isinstance(starttls, bool):
        raise wrong("starttls", N_("must be true or false"))
    if not isinstance(sender, str) or not _EMAIL.fullmatch(sender):
        raise wrong("sender", N_("must be the office's e-mail address"))
    if not isinstance(user, str) or len(user) > 200:
        raise wrong("user", N_("must be the login name, in quotes"))
    return SmtpSettings(host, port, starttls, sender, user)


def read_password(environ: Mapping[str, str], ask: Callable[[], str]) -> str:
    """The SMTP password: $CHECKER_SMTP_PASSWORD, else asked for (never an option or a file)."""
    return environ.get(PASSWORD_VARIABLE) or ask()


def log_path_for(out_dir: Path) -> Path:
    """The send log beside the output folder ('out/hk1' -> 'out/hk1-send-log.csv'): the output
    folder holds only what `checker run` wrote, so that a run into it again is not refused."""
    return out_dir.parent / f"{out_dir.name}-send-log.csv"


def delivered_keys(log: Path) -> set[tuple[str, str, str]]:
    """(school, address, file hashes) of the messages the log records as delivered."""
    if not log.exists():
        return set()
    with log.open(encoding="utf-8", newline="") as handle:
        return {
            (row["school_id"], row["recipient"], row["sha256"])
            for row in csv.DictReader(handle)
            if row.get("status") == "sent"
        }


def plan_messages(out_dir: Path, roster: Roster, log: Path) -> Plan:
    """Who would get what from the run in `out_dir`; SendError when it is not a run's output."""
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.is_file():
        raise SendError(MSG_NOT_RUN, {"folder": str(out_dir)})
    semester = str(json.loads(manifest_path.read_text(encoding="utf-8")).get("semester", ""))
    done = delivered_keys(log)
    messages: list[Message] = []
    delivered: list[Message] = []
    no_email: list[RosterSchool] = []
    no_scorecard: list[RosterSchool] = []
    for school in roster.schools:
        scorecard = out_dir / scorecard_relpath(school.school_id)
        if not scorecard.is_file():
            no_scorecard.append(school)
            continue
        if not school.email:
            no_email.append(school)
            continue
        quality = out_dir / school_quality_relpath(school.school_id)
        files = (scorecard, quality) if quality.is_file() else (scorecard,)
        hashes = tuple(hashlib.sha256(path.read_bytes()).hexdigest() for path in files)
        message = Message(school, files, hashes)
        (delivered if message.key in done else messages).append(message)
    return Plan(tuple(messages), tuple(delivered), tuple(no_email), tuple(no_scorecard), semester)


def email_environment(translator: Translator) -> SandboxedEnvironment:
    """The plain-text template environment: sandboxed, no escaping (it is not HTML), strict
    about unknown names, texts through the catalogs."""
    env = SandboxedEnvironment(
        autoescape=False,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(translator.translations, newstyle=True)  # type: ignore[attr-defined]
    return env


def load_template(env: SandboxedEnvironment, path: Path | None) -> Any:
    """The e-mail template: the office's own (`path`) or the one shipped with checker."""
    source_path = path or paths.TEMPLATES_DIR / TEMPLATE_NAME
    try:
        source = read_regular_file(source_path, MAX_TEMPLATE_BYTES).decode("utf-8")
        return env.from_string(source)
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    except Exception as error:  # a Jinja syntax error: said in one sentence
        if isinstance(error, FileError):
            raise
        reason = str(error)
    raise SendError(MSG_TEMPLATE, {"file": source_path.name, "reason": reason})


def compose(
    template: Any,
    message: Message,
    settings: SmtpSettings,
    office: Mapping[str, str],
    semester_words: str,
) -> EmailMessage:
    """The e-mail for one school: subject and body from the template (first line, then the
    rest), the files attached."""
    school = message.school
    context = {
        "school": {
            "id": school.school_id,
            "name": school.name,
            "principal": school.principal,
        },
        "semester": semester_words,
        "office": dict(office),
        "files": [path.name for path in message.files],
        "has_quality": len(message.files) > 1,
    }
    try:
        text = template.render(context)
    except Exception as error:  # a name the office's template uses that does not exist
        raise SendError(MSG_TEMPLATE, {"file": TEMPLATE_NAME, "reason": str(error)}) from None
    subject, _, body = text.lstrip("\n").partition("\n")
    email = EmailMessage()
    email["Subject"] = " ".join(subject.split())  # one line: no header injection
    email["From"] = Address(" ".join(office.get("name", "").split()), addr_spec=settings.sender)
    email["To"] = Address(" ".join(school.principal.split()), addr_spec=school.email)
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2])
    email.set_content(body.lstrip("\n"))
    for path in message.files:
        maintype, subtype = (
            ("application", "pdf")
            if path.suffix == ".pdf"
            else ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )
        email.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return email


def connect(settings: SmtpSettings, password: str) -> smtplib.SMTP:
    """An open SMTP session: STARTTLS (certificate checked) and login when the settings say."""
    try:
        session = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        session.ehlo()
        if settings.starttls:
            session.starttls(context=ssl.create_default_context())
            session.ehlo()
        if settings.user:
            session.login(settings.user, password)
        return session
    except (OSError, smtplib.SMTPException) as error:
        raise SendError(
            MSG_CONNECT,
            {"host": settings.host, "port": str(settings.port), "reason": _reason(error)},
        ) from None


def _reason(error: Exception) -> str:
    """What went wrong, in one line."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
    return " ".join(str(error).split()) or type(error).__name__


def _text(answer: bytes | str) -> str:
    """A server's answer as one line of text."""
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    return " ".join(text.split())


def deliver(session: smtplib.SMTP, sender: str, email: EmailMessage) -> tuple[bool, str]:
    """Send one message to its one recipient: (delivered, the server's answer). A refusal
    leaves the session usable for the next message."""
    recipient = email["To"].addresses[0].addr_spec
    try:
        code, answer = session.mail(sender)
        if code != 250:
            session.rset()
            return False, f"{code} {_text(answer)}"
        code, answer = session.rcpt(recipient)
        if code not in (250, 251):
            session.rset()
            return False, f"{code} {_text(answer)}"
        code, answer = session.data(email.as_bytes(policy=SMTP))
    except smtplib.SMTPResponseException as error:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            session.rset()  # the session may be broken already
        return False, _reason(error)
    return code == 250, f"{code} {_text(answer)}"


def compose_all(
    plan: Plan,
    template: Any,
    settings: SmtpSettings,
    office: Mapping[str, str],
    semester_words: str,
) -> list[tuple[Message, EmailMessage]]:
    """Every planned message composed, before the first is sent: a template that fails on one
    school stops the command before anything goes out."""
    return [
        (message, compose(template, message, settings, office, semester_words))
        for message in plan.messages
    ]


def send_all(
    prepared: Sequence[tuple[Message, EmailMessage]],
    sender: str,
    session: smtplib.SMTP,
    log: Path,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Iterator[Outcome]:
    """Send the composed messages through `session`, one by one, recording each in the log as
    soon as the server has answered; yields each outcome."""
    new_log = not log.exists()
    with log.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, LOG_FIELDS)
        if new_log:
            writer.writeheader()
        for message, email in prepared:
            try:
                sent, answer = deliver(session, sender, email)
            except (OSError, smtplib.SMTPException) as error:
                sent, answer = False, _reason(error)
            writer.writerow(
                {
                    "time": now().isoformat(timespec="seconds"),
                    "school_id": message.school.school_id,
                    "recipient": message.school.email,
                    "files": ";".join(path.name for path in message.files),
                    "sha256": ";".join(message.hashes),
                    "status": "sent" if sent else "failed",
                    "answer": answer,
                }
            )
            handle.flush()
            yield Outcome(message, sent, answer)


def attachment_names(message: Message) -> Sequence[str]:
    """The files of a message as the terminal shows them (relative to the output folder)."""
    return [f"{path.parent.name}/{path.name}" for path in message.files]
