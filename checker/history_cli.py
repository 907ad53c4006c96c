"""`checker history`: the recorded semesters in the terminal, or as CSV/JSON for other tools."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from checker.cli import db_option, lang_option, rules_option
from checker.context_groups import level_text, points_text
from checker.history import (
    CriterionRate,
    GroupLevels,
    GroupRow,
    RunRecord,
    SchoolSemester,
    SemesterRates,
    StoreError,
    current_runs,
    database_url,
    group_levels,
    open_store,
    recorded_semesters,
    recorded_units,
    school_groups,
    school_history,
    sqlite_file,
    trend_criteria,
    unit_trends,
)
from checker.i18n import (
    N_,
    STATUS_WORDS,
    Translator,
    load_translator,
)
from checker.model import progress
from checker.safe_text import terminal_text
from checker.semester import Semester
from checker.write import group_entry

NO_VALUE = "—"
# The change since the school's previous semester, beside its status in `--school` tables.
CHANGE_MARKS = {"improved": "▲", "regressed": "▼"}
# A table wider than a pipe's default 80 columns stays readable when saved to a file.
MIN_PIPE_WIDTH = 160


@click.command("history")
@db_option
@click.option("--school", "school_id", metavar="ID", default=None, help="Show one school.")
@click.option(
    "--unit",
    "unit_id",
    metavar="ID",
    default=None,
    help="The issuing unit to show (its office settings' unit_id) "
    "[default: the only unit in the database].",
)
@click.option(
    "--all-units", is_flag=True, help="Every unit's rates per semester (a shared database)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people; csv or json for other tools.",
)
@lang_option("the table")
@rules_option(
    "Rulebook(s) whose criterion names head the table (default: as for `checker run`, and the "
    "national index)."
)
def history(
    db: str | None,
    school_id: str | None,
    unit_id: str | None,
    all_units: bool,
    output_format: str,
    lang: str,
    rules_paths: tuple[Path, ...],
) -> None:
    """Show the recorded semesters: each criterion's rate, or one school's statuses.

    Every `checker run` records its semester under its unit; this reads those records back.
    With no database or no semester recorded yet, the table says so and exits 0; csv and json
    print an empty table. An unknown --school or --unit exits 2 with a message.

    \b
    Examples:
      checker history
      checker history --school 08304007
      checker history --format csv > trend.csv
      checker history --db postgresql+psycopg://user@host/checker --all-units
    """
    t = load_translator(lang)
    if unit_id is not None and all_units:
        raise click.UsageError(t.gettext(N_("Give either --unit or --all-units, not both.")))
    if school_id is not None and all_units:
        raise click.UsageError(t.gettext(N_("--school shows one unit's school: use --unit.")))
    url = database_url(db, os.environ)
    path = sqlite_file(url)
    if path is not None and not path.exists():  # looking does not create a database
        _show_empty(school_id, output_format, t, no_database=True)
        return
    labels, settings_unit = criterion_labels(rules_paths, lang)
    try:
        engine = open_store(url, settings_unit)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        if not recorded_semesters(engine):
            _show_empty(school_id, output_format, t, no_database=False)
            return
        unit = None if all_units else chosen_unit(recorded_units(engine), unit_id, t)
        if school_id is None:
            rows = trend_rows(
                unit_trends(engine, unit), current_runs(engine), group_levels(engine, unit)
            )
            _show_trend(rows, output_format, t, labels, show_units=all_units)
        else:
            assert unit is not None  # --school with --all-units is refused above
            entries = school_history(engine, unit, school_id)
            recorded = recorded_semesters(engine, unit)
            groups = school_groups(engine, unit, school_id)
            _show_school(school_id, entries, recorded, output_format, t, labels, groups)
    finally:
        engine.dispose()


def chosen_unit(units: Sequence[str], unit_id: str | None, t: Translator) -> str:
    """The unit to show: --unit when it is recorded, else the database's only unit; exit 2
    with a sentence otherwise."""
    if unit_id is not None and unit_id in units:
        return unit_id
    if unit_id is None and len(units) == 1:
        return units[0]
    if unit_id is not None:
        message = N_("Unit {unit} has no recorded semesters; the history holds: {units}.")
    else:
        message = N_(
            "The history holds several units ({units}): choose one with --unit ID, "
            "or show all with --all-units."
        )
    click.echo(t.gettext(message).format(unit=unit_id, units=", ".join(units)), err=True)
    click.get_current_context().exit(2)
    raise AssertionError("unreachable")  # Context.exit raises


def criterion_labels(rules_paths: tuple[Path, ...], lang: str) -> tuple[dict[str, str], str]:
    """(criterion id -> its name in `lang`, the unit of the office settings), from the
    settings `checker run` would use in this folder; exit 2 if one cannot be read.

    Criteria recorded under an older rulebook and since removed keep their id as name. The
    unit is the one a database from before units is upgraded with.
    """
    from checker import paths
    from checker.context import text_in
    from checker.model import InputError
    from checker.office import load_unit_id
    from checker.rulebook import load_rulebooks
    from checker.workdir import run_settings

    settings = run_settings(Path.cwd(), rules_paths, None)
    # The national index's names too: a run may have recorded its items beside the plan's.
    index = () if rules_paths else (paths.QD4725_RULEBOOK,)
    try:
        rulebook = load_rulebooks((*settings.rules_paths, *index))
        unit_id = load_unit_id(settings.office_path)
    except InputError as exc:
        click.echo(str(exc), err=True)
        click.get_current_context().exit(2)
    labels = {c.id: text_in(c.label, lang) for c in rulebook.criteria}
    labels |= {GROUP_KEY + g.id: text_in(g.label, lang) for g in rulebook.groups}
    return labels, unit_id


def _show_empty(
    school_id: str | None, output_format: str, t: Translator, no_database: bool
) -> None:
    """Nothing recorded: a sentence in a table; csv and json stay parseable (a header, [])."""
    if output_format == "table":
        if no_database:
            click.echo(t.gettext(N_("No semesters recorded yet: there is no history database.")))
        else:
            click.echo(t.gettext(N_("No semesters recorded yet.")))
    elif school_id is not None:
        _show_school(school_id, [], [], output_format, t, {})
    else:
        _show_trend([], output_format, t, {}, show_units=False)


def _show_trend(
    rows: Sequence[TrendRow],
    output_format: str,
    t: Translator,
    labels: Mapping[str, str],
    show_units: bool,
) -> None:
    """Print the rates, and each semester's input file, in the chosen format."""
    if output_format == "csv":
        click.echo(trend_csv(rows), nl=False)
    elif output_format == "json":
        click.echo(json.dumps(trend_json(rows), ensure_ascii=False, indent=2))
    else:
        console = _console()
        console.print(trend_table(rows, t, labels, show_units))
        if any(row.groups for row in rows):
            console.print(groups_table(rows, t, labels, show_units))


def _show_school(
    school_id: str,
    entries: Sequence[SchoolSemester],
    recorded: Sequence[Semester],
    output_format: str,
    t: Translator,
    labels: Mapping[str, str],
    groups: Mapping[Semester, Sequence[GroupRow]] | None = None,
) -> None:
    """Print one school's statuses (and points groups' standings) in the chosen format; exit 2
    if it was never recorded."""
    groups = groups or {}
    if not entries:
        message = t.gettext(N_("School {school_id} is not in the history.")).format(
            school_id=terminal_text(school_id)
        )
        click.echo(message, err=True)
        click.get_current_context().exit(2)
    if output_format == "csv":
        click.echo(school_csv(school_id, entries), nl=False)
    elif output_format == "json":
        data = school_json(school_id, entries, recorded)
        if groups:
            data["groups"] = {
                str(semester): {g.group_id: group_entry(g) for g in rows}
                for semester, rows in groups.items()
            }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _console().print(school_table(school_id, entries, t, recorded, labels, groups))


def _console() -> Console:
    """A console for stdout; wide enough for a criteria table when output goes to a pipe."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, MIN_PIPE_WIDTH))
    return console


# --- the district's trend -------------------------------------------------------------------


def rate_cell(rate: CriterionRate | None, t: Translator) -> str:
    """'44/45 (97,8%)'; a dash when the criterion was not checked or applied to no school."""
    if rate is None or rate.rate is None:
        return NO_VALUE
    return f"{rate.met}/{rate.applicable} ({t.percent(rate.rate)})"


@dataclass(frozen=True)
class TrendRow:
    """One line of the trend: a unit's rates in one semester and the run they come from."""

    unit_id: str
    rates: SemesterRates
    run: RunRecord | None
    groups: Sequence[GroupLevels] = ()  # points groups (QĐ 4725), when the run had them


def trend_rows(
    trends: Mapping[str, Sequence[SemesterRates]],
    inputs: Mapping[tuple[str, Semester], RunRecord],
    groups: Mapping[str, Mapping[Semester, Sequence[GroupLevels]]] | None = None,
) -> list[TrendRow]:
    """The trend's lines, unit by unit, each unit's semesters oldest first."""
    groups = groups or {}
    return [
        TrendRow(
            unit,
            entry,
            inputs.get((unit, entry.semester)),
            tuple(groups.get(unit, {}).get(entry.semester, ())),
        )
        for unit, trend in trends.items()
        for entry in trend
    ]


GROUP_KEY = "group:"  # labels of points groups, beside the criteria's


def levels_cell(levels: GroupLevels, t: Translator) -> str:
    """'Mức 1: 3 · Mức 2: 20 · Mức 3: 5 — trung vị 62' for one group in one semester."""
    counts = " · ".join(
        t.gettext(N_("Level {level}: {schools}")).format(level=level, schools=schools)
        for level, schools in sorted(levels.by_level.items())
    )
    if levels.median_points is None:
        return counts
    median = points_text(levels.median_points, t)
    return counts + " — " + t.gettext(N_("median {points} points")).format(points=median)


def ordered_groups(found: set[str], labels: Mapping[str, str]) -> list[str]:
    """The groups found, in their rulebook's order (groups no rulebook names last)."""
    in_rulebook = [key.removeprefix(GROUP_KEY) for key in labels if key.startswith(GROUP_KEY)]
    return [g for g in in_rulebook if g in found] + sorted(found - set(in_rulebook))


def groups_table(
    rows: Sequence[TrendRow], t: Translator, labels: Mapping[str, str], show_units: bool
) -> Table:
    """Rows = (unit and) semesters, columns = points groups, cells = schools per level and the
    median points."""
    group_ids = ordered_groups({g.group_id for row in rows for g in row.groups}, labels)
    table = Table(title=t.gettext(N_("Points groups (national index): schools per level")))
    if show_units:
        table.add_column(t.gettext(N_("Unit")), no_wrap=True)
    table.add_column(t.gettext(N_("Semester")), no_wrap=True)
    for group in group_ids:
        table.add_column(Text(terminal_text(labels.get(GROUP_KEY + group, group))))
    for row in rows:
        if not row.groups:
            continue
        unit = [Text(terminal_text(row.unit_id))] if show_units else []
        found = {g.group_id: g for g in row.groups}
        cells = [levels_cell(found[g], t) if g in found else NO_VALUE for g in group_ids]
        table.add_row(*unit, str(row.rates.semester), *cells)
    return table


def trend_table(
    rows: Sequence[TrendRow], t: Translator, labels: Mapping[str, str], show_units: bool
) -> Table:
    """Rows = (unit and) semesters, columns = criteria by name, cells = rates; the last column
    names the input file each semester was recorded from (and its sha256 start)."""
    pointed = {r.criterion for row in rows for r in row.rates.rates if r.pointed}
    # Items of points groups are many (QĐ 4725 has 29): the groups' table sums them up.
    criteria = [c for c in trend_criteria([row.rates for row in rows]) if c not in pointed]
    table = Table(title=t.gettext(N_("Criteria met, by semester")))
    if show_units:
        table.add_column(t.gettext(N_("Unit")), no_wrap=True)
    table.add_column(t.gettext(N_("Semester")), no_wrap=True)
    for criterion in criteria:
        table.add_column(Text(terminal_text(labels.get(criterion, criterion))), justify="right")
    table.add_column(t.gettext(N_("Input file")))
    for row in rows:
        unit = [Text(terminal_text(row.unit_id))] if show_units else []
        cells = [rate_cell(row.rates.rate_for(c), t) for c in criteria]
        source = Text(terminal_text(row.run.input_label)) if row.run else NO_VALUE
        table.add_row(*unit, str(row.rates.semester), *cells, source)
    return table


def trend_csv(rows: Sequence[TrendRow]) -> str:
    """One line per unit, semester and criterion: met, applicable, rate, and the semester's
    input file name and sha256."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["unit", "semester", "criterion", "met", "applicable", "rate", "input_file", "input_sha256"]
    )
    for row in rows:
        source = [row.run.input_name or "", row.run.input_sha256] if row.run else ["", ""]
        for rate in row.rates.rates:
            shown = "" if rate.rate is None else f"{rate.rate:.4f}"
            counts = [rate.criterion, rate.met, rate.applicable, shown]
            writer.writerow([row.unit_id, str(row.rates.semester), *counts, *source])
    return buffer.getvalue()


def trend_json(rows: Sequence[TrendRow]) -> list[dict[str, object]]:
    """The trend as JSON-ready data: one object per unit and semester, criteria in rulebook
    order, and the input file the semester was recorded from (null when unknown)."""
    return [
        {
            "unit": row.unit_id,
            "semester": str(row.rates.semester),
            "input": _input_json(row.run),
            **({"groups": [_levels_json(g) for g in row.groups]} if row.groups else {}),
            "criteria": [
                {
                    "criterion": r.criterion,
                    "met": r.met,
                    "applicable": r.applicable,
                    "rate": r.rate,
                }
                for r in row.rates.rates
            ],
        }
        for row in rows
    ]


def _levels_json(levels: GroupLevels) -> dict[str, object]:
    """One group's standing in one semester, for JSON."""
    median = levels.median_points
    return {
        "group": levels.group_id,
        "schools_by_level": {str(level): n for level, n in sorted(levels.by_level.items())},
        "median_points": None if median is None else float(median),
    }


def _input_json(run: RunRecord | None) -> dict[str, str | None] | None:
    """{"file": name, "sha256": hex} for a semester's recorded run; None when there is none."""
    return None if run is None else {"file": run.input_name, "sha256": run.input_sha256}


# --- one school -----------------------------------------------------------------------------


def school_table(
    school_id: str,
    entries: Sequence[SchoolSemester],
    t: Translator,
    recorded: Sequence[Semester],
    labels: Mapping[str, str],
    groups: Mapping[Semester, Sequence[GroupRow]] | None = None,
) -> Table:
    """Rows = the semesters the school was recorded in, columns = criteria, cells = statuses;
    then the school's points and level in each points group (QĐ 4725), when recorded.

    Recorded semesters without the school (before it opened, after a merger) are named in
    the caption: that is normal, not an error.
    """
    pointed = {c for entry in entries for c in entry.pointed}  # shown as their groups' points
    criteria = [c for c in _school_criteria(entries) if c not in pointed]
    latest = entries[-1]
    # Text, not a str: rich would read markup such as [link=…] in a school's name.
    table = Table(title=Text(terminal_text(f"{latest.school_name} ({school_id})")))
    absent = absent_from(entries, recorded)
    if absent:
        table.caption = t.gettext(N_("Not in the school table of: {semesters}")).format(
            semesters=", ".join(str(s) for s in absent)
        )
    table.add_column(t.gettext(N_("Semester")), no_wrap=True)
    for criterion in criteria:
        table.add_column(Text(terminal_text(labels.get(criterion, criterion))))
    table.add_column(t.gettext(N_("Score")), justify="right")
    groups = groups or {}
    group_ids = ordered_groups({g.group_id for rows in groups.values() for g in rows}, labels)
    for group in group_ids:
        table.add_column(Text(terminal_text(labels.get(GROUP_KEY + group, group))), justify="right")
    before: Mapping[str, str] = {}
    for entry in entries:
        cells = [_status_cell(before.get(c), entry.statuses.get(c), t) for c in criteria]
        found = {g.group_id: g for g in groups.get(entry.semester, ())}
        standing = [standing_cell(found.get(g), t) for g in group_ids]
        table.add_row(str(entry.semester), *cells, _score_cell(entry, t), *standing)
        before = entry.statuses
    return table


def standing_cell(group: GroupRow | None, t: Translator) -> str:
    """'62/100 · Mức 2' for a school in a group; a dash when the group does not apply."""
    if group is None or group.level is None:
        return NO_VALUE
    points, most = points_text(group.points, t), points_text(group.max_points, t)
    return f"{points}/{most} · {level_text(group.level, t)}"


def absent_from(entries: Sequence[SchoolSemester], recorded: Sequence[Semester]) -> list[Semester]:
    """The recorded semesters in which the school does not appear, oldest first."""
    present = {entry.semester for entry in entries}
    return [s for s in recorded if s not in present]


def _school_criteria(entries: Sequence[SchoolSemester]) -> list[str]:
    """The criteria of the latest semester in order, then any only checked earlier."""
    criteria: list[str] = []
    for entry in reversed(entries):
        criteria.extend(c for c in entry.statuses if c not in criteria)
    return criteria


def _status_word(status: str | None, t: Translator) -> str:
    """A status in the user's words; a dash when it was not checked that semester."""
    return NO_VALUE if status is None else t.gettext(STATUS_WORDS.get(status, status))


def _status_cell(before: str | None, now: str | None, t: Translator) -> str:
    """The status, marked with its change since the school's previous semester: '▲' or '▼',
    and 'cannot be compared' to or from missing data (a typing error is not a decline)."""
    word = _status_word(now, t)
    if now is None or before is None:
        return word
    change = progress(before, now)
    if change == "not_comparable":
        return f"{word} ({t.gettext(N_('cannot be compared'))})"
    return f"{word} {CHANGE_MARKS[change]}" if change in CHANGE_MARKS else word


def _score_cell(entry: SchoolSemester, t: Translator) -> str:
    """'4/5 (80%)', or a dash when no criterion applied."""
    if entry.score is None:
        return NO_VALUE
    return f"{entry.met}/{entry.applicable} ({t.percent(entry.score)})"


def school_csv(school_id: str, entries: Sequence[SchoolSemester]) -> str:
    """One line per semester and criterion: semester, school, level, criterion, status."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["semester", "school_id", "school_name", "level", "criterion", "status"])
    for entry in entries:
        for criterion, status in entry.statuses.items():
            name = terminal_text(entry.school_name)
            row = [str(entry.semester), terminal_text(school_id), name, entry.level or ""]
            writer.writerow([*row, criterion, status])
    return buffer.getvalue()


def school_json(
    school_id: str, entries: Sequence[SchoolSemester], recorded: Sequence[Semester] = ()
) -> dict[str, object]:
    """One school's history as JSON-ready data: one object per semester it appears in, and
    the recorded semesters it does not appear in."""
    return {
        "school_id": school_id,
        "absent_from": [str(s) for s in absent_from(entries, recorded)],
        "semesters": [
            {
                "semester": str(entry.semester),
                "school_name": entry.school_name,
                "level": entry.level,
                "statuses": dict(entry.statuses),
                "changes": _changes(before.statuses if before else {}, entry.statuses),
                "met": entry.met,
                "applicable": entry.applicable,
                "score": entry.score,
            }
            for before, entry in zip([None, *entries], entries, strict=False)
        ],
    }


def _changes(before: Mapping[str, str], now: Mapping[str, str]) -> dict[str, str]:
    """criterion -> change since the school's previous semester (for criteria checked in both)."""
    return {c: progress(before[c], status) for c, status in now.items() if c in before}
