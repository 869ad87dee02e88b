"""360Giving: the office's published grants as a 360Giving data package (JSON) and the flat CSV,
validated offline against the official schema and checked the way 360Giving's own data-quality
tool checks a file, before finance publishes them.

A grant here is an award whose decision is approved and published on the decisions register
(withheld decisions never leave the office), unless the offer was declined or lapsed: those never
became grants. Identifiers:

- the office has no registered org-id prefix, so it uses the ``360G-`` prefix 360Giving gives
  funders without one (``FUNDER_PREFIX``) for itself, its grants (``360G-pcc-llr-<award
  reference>``) and recipients with no registered number;
- recipients with a registered number use org-id.guide's lists: GB-CHC (Charity Commission for
  England and Wales), GB-SC (OSCR), GB-NIC (Charity Commission for Northern Ireland), GB-COH
  (Companies House), GB-LAE (the local-authority-eng register: its three-letter codes, not
  the ONS codes the office stores, hence ``LOCAL_AUTHORITY_ENG``).

Publishing is a background task (``threesixty.publish``, registered at the end of this module,
so the job registry never imports a service). Its one result file is the JSON package; the CSV
is stored next to it, in the same randomly named folder (the JSON's key with the file name
changed), so one task row records both files and neither can be guessed. The public links serve
the files of the latest publish that finished.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from flask import current_app
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from grants.calendar import london_today
from grants.extensions import db
from grants.jobs.tasks import progress, result_file, task_kind
from grants.models import (
    Application,
    Award,
    AwardStatus,
    BackgroundTask,
    DecisionRecord,
    Organisation,
    OrganisationType,
    PaymentStatus,
    Place,
    Priority,
    TaskStage,
    User,
)
from grants.services.errors import NotFound
from grants.services.tasks import start_task
from grants.spreadsheets import safe_text

PUBLISH_KIND = "threesixty.publish"
JSON_FILENAME = "360giving.json"
CSV_FILENAME = "360giving.csv"
JSON_CONTENT_TYPE = "application/json"
CSV_CONTENT_TYPE = "text/csv"

# No registered prefix yet: 360Giving's prefix for funders without one. Replace it (and the
# funder identifier) with the prefix 360Giving issues once the office registers.
FUNDER_PREFIX = "360G-pcc-llr"
FUNDER_ID = FUNDER_PREFIX
PRIORITY_VOCABULARY = f"{FUNDER_PREFIX}-police-and-crime-plan"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
SCHEMA_VERSION = "1.4"

# ONS (GSS) code -> the local-authority-eng register's code that GB-LAE identifiers use, for the
# councils of Leicester, Leicestershire and Rutland. A council elsewhere falls back to 360G-.
LOCAL_AUTHORITY_ENG = {
    "E06000016": "LCE",  # Leicester City Council
    "E06000017": "RUT",  # Rutland County Council
    "E10000018": "LEC",  # Leicestershire County Council
    "E07000129": "BLA",  # Blaby District Council
    "E07000130": "CHA",  # Charnwood Borough Council
    "E07000131": "HAO",  # Harborough District Council
    "E07000132": "HIN",  # Hinckley and Bosworth Borough Council
    "E07000133": "MEL",  # Melton Borough Council
    "E07000134": "NWL",  # North West Leicestershire District Council
    "E07000135": "OAD",  # Oadby and Wigston Borough Council
}
# The ONS entity code (first three characters of a GSS code) -> 360Giving's geoCodeType.
GEO_CODE_TYPES = {"E06": "UA", "E07": "NMD", "E08": "MD", "E09": "LONB", "E10": "CTY"}

_NOT_GRANTS = (AwardStatus.DECLINED, AwardStatus.LAPSED)
_LONG_TITLE = 140


# Identifiers --------------------------------------------------------------------------------


def recipient_identifier(organisation: Organisation) -> str:
    """The organisation's org-id: a registered number where it has one, else the office's own."""
    charity = (organisation.charity_number or "").strip().upper().replace(" ", "")
    if charity:
        if charity.startswith("SC"):
            return f"GB-SC-{charity}"
        if charity.startswith("NIC"):
            return f"GB-NIC-{charity.removeprefix('NIC')}"
        return f"GB-CHC-{charity}"
    company = (organisation.company_number or "").strip().upper().replace(" ", "")
    if company:
        # Companies House numbers are eight characters; English and Welsh ones are often
        # written without their leading zeros.
        return f"GB-COH-{company.zfill(8) if company.isdigit() else company}"
    if organisation.org_type is OrganisationType.LOCAL_AUTHORITY:
        code = (organisation.local_authority_code or "").strip().upper()
        register_code = LOCAL_AUTHORITY_ENG.get(code)
        if register_code is None and re.fullmatch(r"[A-Z]{3,4}", code):
            register_code = code  # already the register's own code
        if register_code:
            return f"GB-LAE-{register_code}"
    return f"{FUNDER_PREFIX}-org-{organisation.id}"


def grant_identifier(award: Award) -> str:
    return f"{FUNDER_PREFIX}-{award.reference}"


# Gathering the grants ------------------------------------------------------------------------


def published_awards() -> list[tuple[Award, DecisionRecord]]:
    """Awards whose approving decision is published, oldest decision first."""
    rows = db.session.execute(
        select(Award, DecisionRecord)
        .join(Application, Application.id == Award.application_id)
        .join(DecisionRecord, DecisionRecord.application_id == Application.id)
        .where(
            DecisionRecord.decision == "approved",
            DecisionRecord.published.is_(True),
            Award.status.not_in(_NOT_GRANTS),
        )
        .options(
            selectinload(Award.organisation),
            selectinload(Award.payments),
            selectinload(Award.programme),
            selectinload(Award.application).selectinload(Application.answers),
            selectinload(Award.application).selectinload(Application.round),
        )
        .order_by(DecisionRecord.decided_at, Award.reference)
    )
    return [(award, decision) for award, decision in rows]


@dataclass(frozen=True)
class Lookups:
    places: dict[str, str]  # GSS code -> name
    priorities: dict[str, str]  # code -> name


def lookups() -> Lookups:
    return Lookups(
        places={p.gss_code: p.name for p in db.session.scalars(select(Place))},
        priorities={p.code: p.name for p in db.session.scalars(select(Priority))},
    )


def _codes(answer: str | None) -> list[str]:
    return [code.strip() for code in (answer or "").split(",") if code.strip()]


def _amount(pence: int) -> int | float:
    # Whole pounds as integers, so the file reads 8750 rather than 8750.0.
    return pence // 100 if pence % 100 == 0 else pence / 100


def _months(start: dt.date, end: dt.date) -> int:
    """Whole calendar months covered, counting a part month as one (1 April to 31 March: 12)."""
    return max(1, (end.year - start.year) * 12 + end.month - start.month + 1)


def _is_uri(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def grant_record(
    award: Award, decision: DecisionRecord, names: Lookups, funder_name: str
) -> dict[str, Any]:
    """One grant in 360Giving's JSON form."""
    organisation = award.organisation
    application = award.application
    answers = application.answer_map if application is not None else {}
    description = (answers.get("project_summary") or "").strip() or decision.summary
    recipient: dict[str, Any] = {
        "id": recipient_identifier(organisation),
        "name": organisation.name,
    }
    if organisation.charity_number:
        recipient["charityNumber"] = organisation.charity_number
    if organisation.company_number:
        recipient["companyNumber"] = organisation.company_number
    if organisation.postcode:
        recipient["postalCode"] = organisation.postcode
    if organisation.website and _is_uri(organisation.website):
        recipient["url"] = organisation.website
    paid = sum(p.amount_pence for p in award.payments if p.status is PaymentStatus.PAID)
    grant: dict[str, Any] = {
        "id": grant_identifier(award),
        "title": award.title or decision.title,
        "description": description,
        "currency": "GBP",
        "amountAwarded": _amount(award.amount_pence),
        "amountDisbursed": _amount(paid),
        "awardDate": london_today(decision.decided_at).isoformat(),
        "recipientOrganization": [recipient],
        "fundingOrganization": [{"id": FUNDER_ID, "name": funder_name}],
        "grantProgramme": [{"code": award.programme.slug, "title": award.programme.name}],
    }
    if award.starts_on is not None:
        planned: dict[str, Any] = {"startDate": award.starts_on.isoformat()}
        if award.ends_on is not None:
            planned["endDate"] = award.ends_on.isoformat()
            if award.ends_on >= award.starts_on:
                planned["duration"] = _months(award.starts_on, award.ends_on)
        grant["plannedDates"] = [planned]
    locations = [
        {
            "name": names.places.get(code, code),
            "geoCode": code,
            "geoCodeType": GEO_CODE_TYPES.get(code[:3], ""),
            "countryCode": "GB",
        }
        for code in _codes(answers.get("places"))
    ]
    if locations:
        grant["beneficiaryLocation"] = [
            {key: value for key, value in location.items() if value} for location in locations
        ]
    priorities = [
        {"vocabulary": PRIORITY_VOCABULARY, "code": code, "title": names.priorities.get(code)}
        for code in _codes(answers.get("priorities"))
    ]
    if priorities:
        grant["classifications"] = priorities
    if application is not None:
        grant["fromOpenCall"] = "No" if application.round.invitation_only else "Yes"
    return grant


def build_package(
    rows: Iterable[tuple[Award, DecisionRecord]] | None = None,
    issued: dt.date | None = None,
) -> dict[str, Any]:
    """The 360Giving data package of every published grant (or of ``rows``)."""
    funder_name = current_app.config["SERVICE_OWNER"]
    names = lookups()
    chosen = published_awards() if rows is None else rows
    grants = [grant_record(award, decision, names, funder_name) for award, decision in chosen]
    return {
        "version": SCHEMA_VERSION,
        "title": f"Grants made by the {funder_name}",
        "description": (
            "Grants whose decisions are published on the office's decisions register, in the "
            "360Giving Data Standard."
        ),
        "issued": (issued or london_today()).isoformat(),
        "identifier": f"{FUNDER_PREFIX}-grants",
        "publisher": {"name": funder_name, "identifier": FUNDER_ID},
        "license": LICENSE,
        "grants": grants,
    }


# Validation ----------------------------------------------------------------------------------

# The official schema, copied unchanged into the repository (see its README), so validation
# works offline and in a deployment that has nothing beside the code.
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "standards" / "360giving"
GRANT_SCHEMA = "360-giving-schema.json"
PACKAGE_SCHEMA = "360-giving-package-schema.json"
# RFC 3339: the schema's dates are "a date pattern, or format date-time", so date-time must be
# checked (jsonschema only asserts it with an optional package this project does not install),
# or a plain date would match both branches of the oneOf and fail.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
)


def _date_time(value: object) -> bool:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("mailto", "urn"))


def _plain(value: Any) -> Any:
    """A JSON value with integral floats as integers, so 1 and 1.0 compare equal as JSON
    Schema says they do."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _unique_items(
    validator: Any, unique: bool, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """``uniqueItems`` in linear time. jsonschema compares unhashable items (objects) pair by
    pair, which never finishes for a file of 100,000 grants; comparing canonical JSON gives the
    same answer."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[str] = set()
    for position, item in enumerate(instance):
        key = json.dumps(_plain(item), sort_keys=True, ensure_ascii=False)
        if key in seen:
            yield ValidationError(f"item {position + 1} repeats an earlier item exactly")
            return
        seen.add(key)


_Validator = validators.extend(Draft202012Validator, {"uniqueItems": _unique_items})


@lru_cache(maxsize=1)
def package_validator() -> Draft202012Validator:
    """The package schema's validator, with the grant schema registered under both its own
    ``$id`` and the URL the package schema's ``$ref`` names, so nothing is fetched."""
    grant_schema = json.loads((SCHEMA_DIR / GRANT_SCHEMA).read_text(encoding="utf-8"))
    package_schema = json.loads((SCHEMA_DIR / PACKAGE_SCHEMA).read_text(encoding="utf-8"))
    # The schemas say "$schema": "http://json-schema.org/draft/2020-12/schema", which referencing
    # does not recognise by itself: name the draft.
    grant = Resource(contents=grant_schema, specification=DRAFT202012)
    referenced = package_schema["properties"]["grants"]["items"]["$ref"]
    registry: Registry = Registry().with_resources(
        [(grant_schema["$id"], grant), (referenced, grant)]
    )
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_date_time)
    checker.checks("uri")(_uri)
    return _Validator(package_schema, registry=registry, format_checker=checker)


@dataclass(frozen=True)
class Finding:
    """A schema error or a quality warning, naming the grant it is about (None: the file)."""

    grant_id: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.grant_id}: {self.message}" if self.grant_id else self.message


def schema_errors(package: dict[str, Any]) -> list[Finding]:
    grants = package.get("grants") or []
    findings = []
    for error in sorted(package_validator().iter_errors(package), key=lambda e: list(e.path)):
        path = list(error.absolute_path)
        grant_id = None
        if len(path) >= 2 and path[0] == "grants" and isinstance(path[1], int):
            grant = grants[path[1]] if path[1] < len(grants) else {}
            grant_id = str(grant.get("id") or f"grant {path[1] + 1}")
            path = path[2:]
        where = "/".join(str(part) for part in path)
        message = _message(error)
        findings.append(Finding(grant_id, f"{where}: {message}" if where else message))
    return findings


def _message(error: ValidationError) -> str:
    """jsonschema's message, except that a failed ``oneOf`` on an object (a grant missing a
    required field) would quote the whole object: name what is missing instead."""
    if error.validator != "oneOf" or not isinstance(error.instance, dict):
        return error.message
    branches: dict[object, list[str]] = {}
    for failure in error.context or []:
        branch = failure.relative_schema_path[0] if failure.relative_schema_path else None
        branches.setdefault(branch, []).append(failure.message)
    if not branches:
        return "is not valid"
    # The branch that came closest says what the grant lacks (recipient organisation or not).
    closest = min(branches.values(), key=len)
    return "; ".join(sorted(set(closest)))


def quality_warnings(package: dict[str, Any], today: dt.date | None = None) -> list[Finding]:
    """The checks 360Giving's data-quality tool makes that a schema cannot."""
    today = today or london_today()
    findings: list[Finding] = []
    funders: set[str] = set()
    seen: set[str] = set()
    for grant in package.get("grants") or []:
        grant_id = str(grant.get("id"))
        title = str(grant.get("title") or "")
        description = str(grant.get("description") or "")
        funders.update(str(f.get("id")) for f in grant.get("fundingOrganization") or [])
        if grant_id in seen:
            findings.append(Finding(grant_id, "this identifier is used by more than one grant"))
        seen.add(grant_id)
        if title.strip().casefold() == description.strip().casefold():
            findings.append(Finding(grant_id, "the title and the description are the same"))
        if len(title) > _LONG_TITLE:
            findings.append(Finding(grant_id, f"the title is longer than {_LONG_TITLE} characters"))
        award_date = _date_of(grant.get("awardDate"))
        if award_date is not None and award_date > today:
            findings.append(
                Finding(grant_id, f"the award date {award_date.isoformat()} is in the future")
            )
        awarded = grant.get("amountAwarded")
        if isinstance(awarded, int | float) and awarded <= 0:
            findings.append(Finding(grant_id, f"the amount awarded ({awarded}) is not positive"))
        disbursed = grant.get("amountDisbursed")
        if isinstance(disbursed, int | float):
            if disbursed < 0:
                findings.append(
                    Finding(grant_id, f"the amount disbursed ({disbursed}) is negative")
                )
            elif isinstance(awarded, int | float) and 0 < awarded < disbursed:
                findings.append(
                    Finding(
                        grant_id,
                        f"more has been disbursed ({disbursed}) than awarded ({awarded})",
                    )
                )
        for planned in grant.get("plannedDates") or []:
            start, end = _date_of(planned.get("startDate")), _date_of(planned.get("endDate"))
            if start and end and end < start:
                findings.append(Finding(grant_id, "the planned end date is before the start date"))
        for recipient in grant.get("recipientOrganization") or []:
            if str(recipient.get("id", "")).startswith("360G-"):
                findings.append(
                    Finding(
                        grant_id,
                        f"the recipient {recipient.get('name')} has no registered identifier "
                        "(charity or company number)",
                    )
                )
    if len(funders) > 1:
        findings.insert(
            0,
            Finding(
                None,
                "the file has more than one funding organisation identifier: "
                + ", ".join(sorted(funders)),
            ),
        )
    return findings


def _date_of(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# The flat CSV --------------------------------------------------------------------------------


def _cell(value: object) -> object:
    if isinstance(value, str):
        return safe_text(value)
    return "" if value is None else value


_SINGLE = [
    ("Identifier", ("id",)),
    ("Title", ("title",)),
    ("Description", ("description",)),
    ("Currency", ("currency",)),
    ("Amount Awarded", ("amountAwarded",)),
    ("Amount Disbursed", ("amountDisbursed",)),
    ("Award Date", ("awardDate",)),
    ("Planned Dates:Start Date", ("plannedDates", 0, "startDate")),
    ("Planned Dates:End Date", ("plannedDates", 0, "endDate")),
    ("Planned Dates:Duration (months)", ("plannedDates", 0, "duration")),
    ("Recipient Org:Identifier", ("recipientOrganization", 0, "id")),
    ("Recipient Org:Name", ("recipientOrganization", 0, "name")),
    ("Recipient Org:Charity Number", ("recipientOrganization", 0, "charityNumber")),
    ("Recipient Org:Company Number", ("recipientOrganization", 0, "companyNumber")),
    ("Recipient Org:Postal Code", ("recipientOrganization", 0, "postalCode")),
    ("Funding Org:Identifier", ("fundingOrganization", 0, "id")),
    ("Funding Org:Name", ("fundingOrganization", 0, "name")),
    ("Grant Programme:Code", ("grantProgramme", 0, "code")),
    ("Grant Programme:Title", ("grantProgramme", 0, "title")),
    ("From An Open Call?", ("fromOpenCall",)),
]
_REPEATED = [
    (
        "Beneficiary Location",
        "beneficiaryLocation",
        [
            ("Name", "name"),
            ("Geographic Code", "geoCode"),
            ("Geographic Code Type", "geoCodeType"),
            ("Country Code", "countryCode"),
        ],
    ),
    (
        "Classifications",
        "classifications",
        [("Vocabulary", "vocabulary"), ("Code", "code"), ("Title", "title")],
    ),
]


def _dig(record: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        if isinstance(step, int):
            record = record[step] if isinstance(record, list) and len(record) > step else None
        else:
            record = record.get(step) if isinstance(record, dict) else None
        if record is None:
            return None
    return record


def csv_rows(package: dict[str, Any]) -> Iterator[list[object]]:
    """The package as 360Giving's flat CSV (column titles as its spreadsheet template), one row
    per grant; lists that repeat get numbered columns (``Beneficiary Location:0:Name``...)."""
    grants = package.get("grants") or []
    widths = {
        key: max((len(g.get(key) or []) for g in grants), default=0) for _, key, _ in _REPEATED
    }
    header: list[object] = [title for title, _ in _SINGLE]
    for title, key, fields in _REPEATED:
        for index in range(widths[key]):
            header += [f"{title}:{index}:{field_title}" for field_title, _ in fields]
    yield header
    for grant in grants:
        row = [_cell(_dig(grant, path)) for _, path in _SINGLE]
        for _, key, fields in _REPEATED:
            items = grant.get(key) or []
            for index in range(widths[key]):
                item = items[index] if index < len(items) else {}
                row += [_cell(item.get(field)) for _, field in fields]
        yield row


def write_csv(package: dict[str, Any], out: IO[bytes]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        csv.writer(text).writerows(csv_rows(package))
    finally:
        text.detach()  # leave ``out`` open for the caller


def write_json(package: dict[str, Any], out: IO[bytes]) -> None:
    out.write(json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8"))


# The finance page's summary -------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    grants: int
    total_awarded_pence: int
    total_disbursed_pence: int
    errors: list[Finding]
    warnings: list[Finding]

    @property
    def publishable(self) -> bool:
        return not self.errors


def check(today: dt.date | None = None) -> Check:
    rows = published_awards()
    package = build_package(rows, issued=today)
    return Check(
        grants=len(rows),
        total_awarded_pence=sum(award.amount_pence for award, _ in rows),
        total_disbursed_pence=sum(
            p.amount_pence
            for award, _ in rows
            for p in award.payments
            if p.status is PaymentStatus.PAID
        ),
        errors=schema_errors(package),
        warnings=quality_warnings(package, today),
    )


# Published files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    task_id: int
    published_at: dt.datetime
    published_by: str
    message: str
    json_key: str
    csv_key: str


def csv_key_for(json_key: str) -> str:
    return json_key.rsplit("/", 1)[0] + "/" + CSV_FILENAME


def latest_publication() -> Publication | None:
    """The files of the last publish that finished; None if nothing was ever published."""
    row = db.session.execute(
        select(BackgroundTask, User.full_name)
        .join(User, User.id == BackgroundTask.requested_by_id)
        .where(
            BackgroundTask.kind == PUBLISH_KIND,
            BackgroundTask.stage == TaskStage.DONE,
            BackgroundTask.result_key.is_not(None),
        )
        .order_by(BackgroundTask.finished_at.desc(), BackgroundTask.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    task, name = row
    assert task.result_key is not None and task.finished_at is not None
    return Publication(
        task_id=task.id,
        published_at=task.finished_at,
        published_by=name,
        message=task.message or "",
        json_key=task.result_key,
        csv_key=csv_key_for(task.result_key),
    )


def open_published(which: str) -> tuple[IO[bytes], str, str]:
    """The latest published file ("json" or "csv") as (stream, file name, content type); the
    caller closes the stream. NotFound if nothing has been published."""
    publication = latest_publication()
    if publication is None or which not in ("json", "csv"):
        raise NotFound
    store = current_app.extensions["document_store"]
    if which == "json":
        return store.open(publication.json_key), JSON_FILENAME, JSON_CONTENT_TYPE
    return store.open(publication.csv_key), CSV_FILENAME, CSV_CONTENT_TYPE


def publish_runs(limit: int = 5) -> list[tuple[BackgroundTask, str]]:
    """The latest publish tasks, whoever started them, with the starter's name."""
    return [
        (task, name)
        for task, name in db.session.execute(
            select(BackgroundTask, User.full_name)
            .join(User, User.id == BackgroundTask.requested_by_id)
            .where(BackgroundTask.kind == PUBLISH_KIND)
            .order_by(BackgroundTask.id.desc())
            .limit(limit)
        )
    ]


def start_publish(user: User) -> BackgroundTask:
    """Queue the publish task; it builds, validates and stores both files, or fails naming the
    schema errors."""
    return start_task(user, PUBLISH_KIND)


# The publish task ----------------------------------------------------------------------------

# The failure message names this many schema errors, then counts the rest.
ERRORS_NAMED = 5


@task_kind(PUBLISH_KIND)
def publish_task(task: BackgroundTask) -> str:
    rows = published_awards()
    progress(task, 0, len(rows) + 1)
    package = build_package(rows)
    errors = schema_errors(package)
    if errors:
        named = "; ".join(str(error) for error in errors[:ERRORS_NAMED])
        more = len(errors) - ERRORS_NAMED
        raise ValueError(
            f"the file has {len(errors)} schema error{'s' if len(errors) != 1 else ''}, so "
            f"nothing was published: {named}" + (f"; and {more} more" if more > 0 else "")
        )
    warnings = quality_warnings(package)
    with result_file(task, JSON_FILENAME, JSON_CONTENT_TYPE) as out:
        write_json(package, out)
    assert task.result_key is not None
    _store_beside(csv_key_for(task.result_key), package)
    progress(task, len(rows) + 1)
    awarded = sum(award.amount_pence for award, _ in rows)
    plural = "s" if len(rows) != 1 else ""
    outcome = f"Published {len(rows)} grant{plural} totalling £{awarded / 100:,.2f}"
    if warnings:
        return (
            f"{outcome}, with {len(warnings)} quality warning{'s' if len(warnings) != 1 else ''}."
        )
    return f"{outcome}."


def _store_beside(key: str, package: dict[str, Any]) -> None:
    with tempfile.TemporaryFile() as spool:
        write_csv(package, spool)
        size = spool.tell()
        spool.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: spool.read(1 << 20), b""):
            digest.update(chunk)
        spool.seek(0)
        current_app.extensions["document_store"].put(
            key,
            spool,
            size=size,
            sha256_hex=digest.hexdigest(),
            content_type=CSV_CONTENT_TYPE,
        )
