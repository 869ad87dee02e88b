"""The four demo programmes, their budgets per financial year, and their funding rounds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from grants.calendar import financial_year_of
from grants.demo.dates import financial_year_label, london, london_date
from grants.extensions import db
from grants.models import Priority, Programme, ProgrammeBudget, ProgrammeKind, Round

# Safer Streets round 5: the three proposals' awards (£960,591.34 in all) and what each spends
# in 2023/24. Delivery ran 1 October 2023 to 31 March 2025, so the first year is six months;
# the capital-heavy proposals (CCTV, target hardening) front-load their spend.
SAFER_STREETS = {
    "Proposal 1: violence against women and girls": (31_556_800, 10_518_900),
    "Proposal 2: anti-social behaviour in Melton": (31_396_789, 15_698_395),
    "Proposal 3: neighbourhood crime in Oadby and Wigston": (33_105_545, 16_552_773),
}
VICTIM_FIRST_A_YEAR = 138_688_500


@dataclass(frozen=True)
class DemoRounds:
    prevention_open: Round
    # Closed earlier in the year: one being assessed, one moderated and waiting for decisions.
    prevention_assessing: Round
    prevention_moderated: Round
    people_zones: Round
    csp: Round
    # The programmes with no rounds: their history is a bid and contracts.
    safer_streets: Programme
    victim_first: Programme


def _years(first: int, current: int, at_least_to: int) -> range:
    # Budgets run to the current year whenever the demo is loaded, so open rounds have one.
    return range(first, max(current, at_least_to) + 1)


def safer_streets_budgets() -> dict[int, int]:
    first_year = sum(first for _, first in SAFER_STREETS.values())
    total = sum(award for award, _ in SAFER_STREETS.values())
    return {2023: first_year, 2024: total - first_year}


def _programme(
    slug: str,
    name: str,
    kind: ProgrammeKind,
    summary: str,
    budgets: dict[int, int],
    priorities: list[Priority],
    funder_name: str | None = None,
) -> Programme:
    programme = Programme(
        slug=slug,
        name=name,
        kind=kind,
        summary=summary,
        funder_name=funder_name,
        priorities=priorities,
        budgets=[ProgrammeBudget(financial_year=y, amount_pence=p) for y, p in budgets.items()],
    )
    db.session.add(programme)
    return programme


def add_programmes(priorities: dict[str, Priority], now: dt.datetime) -> DemoRounds:
    """Adds the programmes and rounds; dates of the current rounds are relative to now."""
    today = london_date(now)
    current_fy = financial_year_of(today)

    def pick(*codes: str) -> list[Priority]:
        return [priorities[code] for code in codes]

    prevention = _programme(
        "prevention-fund",
        "Prevention Fund",
        ProgrammeKind.COMMUNITY_GRANT,
        "Grants for grassroots groups across Leicester, Leicestershire and Rutland whose "
        "projects support the Police and Crime Plan: youth activities, knife-crime and "
        "violence prevention, and safer neighbourhoods.",
        dict.fromkeys(_years(2024, current_fy, 2026), 25_000_000),
        pick(
            "youth-diversion",
            "knife-crime",
            "asb",
            "vawg",
            "neighbourhood-crime",
            "rural-crime",
            "hate-crime",
            "substance-misuse",
            "road-safety",
        ),
    )
    csp = _programme(
        "csp-funding",
        "Community Safety Partnership funding",
        ProgrammeKind.CSP_ALLOCATION,
        "An allocation to each of the eight Community Safety Partnerships, released against its "
        "annual plan of local priorities and monitored through returns.",
        dict.fromkeys(_years(2025, current_fy, 2026), 50_000_000),
        pick("asb", "domestic-abuse", "neighbourhood-crime", "knife-crime", "hate-crime"),
    )
    safer_streets = _programme(
        "safer-streets-5",
        "Safer Streets Fund round 5",
        ProgrammeKind.EXTERNAL_BID,
        "The office's three successful bids to the Home Office, delivered with councils and "
        "partners from October 2023 to March 2025, with quarterly returns to the Home Office.",
        safer_streets_budgets(),
        pick("vawg", "asb", "neighbourhood-crime"),
        funder_name="Home Office",
    )
    victim_first = _programme(
        "victim-first",
        "Victim First victims' service",
        ProgrammeKind.COMMISSIONED_SERVICE,
        "Support for victims and witnesses of crime across the area, commissioned from Catch22 "
        "for April 2024 to March 2027 and monitored against the Victims' Code of Practice.",
        dict.fromkeys((2024, 2025, 2026), VICTIM_FIRST_A_YEAR),
        pick("victims-witnesses", "domestic-abuse", "hate-crime", "vawg"),
    )
    rounds = DemoRounds(
        prevention_open=_open_prevention_round(prevention, today, current_fy),
        prevention_assessing=_small_grants_round(prevention, today, current_fy),
        prevention_moderated=_serious_violence_round(prevention, today, current_fy),
        people_zones=_people_zones_round(prevention),
        csp=_csp_round(csp, current_fy),
        safer_streets=safer_streets,
        victim_first=victim_first,
    )
    db.session.add_all(
        [
            rounds.prevention_open,
            rounds.prevention_assessing,
            rounds.prevention_moderated,
            rounds.people_zones,
            rounds.csp,
        ]
    )
    return rounds


def _open_prevention_round(programme: Programme, today: dt.date, year: int) -> Round:
    return Round(
        programme=programme,
        name=f"Commissioner's community grants {financial_year_label(year)}",
        reference_prefix="PF",
        financial_year=year,
        opens_at=london(today - dt.timedelta(weeks=3), 9),
        # Published a week before it opened.
        published_at=(london(today - dt.timedelta(weeks=3), 9)) - dt.timedelta(days=7),
        closes_at=london(today + dt.timedelta(weeks=6), 17),
        budget_pence=19_400_000,
        min_award_pence=50_000,
        max_award_pence=2_500_000,
        short_form_threshold_pence=1_000_000,
        funding_threshold_percent=65,
        # Above £10,000 the Commissioner decides; officers' delegated authority covers less.
        approval_limit_pence=1_000_000,
        who_can_apply="Voluntary and community groups, charities, CICs and clubs based in or "
        "working in Leicester, Leicestershire or Rutland. Grants of £10,000 to £25,000 are for "
        "exceptional projects only.",
    )


def _small_grants_round(programme: Programme, today: dt.date, year: int) -> Round:
    # Closed ten days before loading; its own reference prefix, so the open round's
    # applications still number from PF-...-0001.
    opens_at = london(today - dt.timedelta(weeks=7), 9)
    return Round(
        programme=programme,
        name=f"Community small grants {financial_year_label(year)}",
        reference_prefix="SG",
        financial_year=year,
        opens_at=opens_at,
        published_at=opens_at - dt.timedelta(days=7),
        closes_at=london(today - dt.timedelta(days=10), 17),
        budget_pence=2_000_000,
        min_award_pence=50_000,
        max_award_pence=500_000,
        short_form_threshold_pence=1_000_000,
        funding_threshold_percent=65,
        approval_limit_pence=1_000_000,
        who_can_apply="Small voluntary and community groups and clubs in Leicester, "
        "Leicestershire or Rutland, for grants of £500 to £5,000.",
        # Proportionate for small grants: no income figure or numbers of beneficiaries asked.
        left_out="annual_income beneficiaries",
    )


def _serious_violence_round(programme: Programme, today: dt.date, year: int) -> Round:
    # Closed five weeks before loading and moderated since; its budget with the other two
    # rounds' is the programme's £250,000 for the year.
    opens_at = london(today - dt.timedelta(weeks=13), 9)
    return Round(
        programme=programme,
        name=f"Serious violence prevention grants {financial_year_label(year)}",
        reference_prefix="SV",
        financial_year=year,
        opens_at=opens_at,
        published_at=opens_at - dt.timedelta(days=7),
        closes_at=london(today - dt.timedelta(weeks=5), 17),
        budget_pence=3_600_000,
        min_award_pence=50_000,
        max_award_pence=1_500_000,
        short_form_threshold_pence=1_000_000,
        funding_threshold_percent=65,
        # Above £10,000 the Commissioner decides; officers' delegated authority covers less.
        approval_limit_pence=1_000_000,
        who_can_apply="Voluntary and community groups, charities, CICs and clubs in "
        "Leicester, Leicestershire or Rutland working to prevent knife crime and serious "
        "violence. Grants over £10,000 are for exceptional projects only.",
    )


def _people_zones_round(programme: Programme) -> Round:
    # The real round 2 of 2024/25: 12 applications, 6 approved, £39,305.40 committed.
    return Round(
        programme=programme,
        name="People Zones grants fund round 2",
        reference_prefix="PZ",
        financial_year=2024,
        opens_at=london(dt.date(2024, 9, 30), 9),
        # Published a week before it opened.
        published_at=(london(dt.date(2024, 9, 30), 9)) - dt.timedelta(days=7),
        closes_at=london(dt.date(2024, 10, 28), 17),
        budget_pence=4_000_000,
        min_award_pence=50_000,
        max_award_pence=1_000_000,
        short_form_threshold_pence=1_000_000,
        funding_threshold_percent=65,
        who_can_apply="Community groups working with residents of the People Zones areas.",
    )


def csp_plan_round(programme: Programme, year: int, name: str) -> Round:
    """A year's CSP plan round, run before the year begins: published the day the Commissioner
    confirms the year's allocations (10 February), open from 17 February to 14 March, so the
    plans are decided by the end of March and their awards start on 1 April."""
    opens_at = london(dt.date(year, 2, 17), 9)
    return Round(
        programme=programme,
        name=name,
        reference_prefix="CSP",
        financial_year=year,
        opens_at=opens_at,
        # Published a week before it opened.
        published_at=opens_at - dt.timedelta(days=7),
        closes_at=london(dt.date(year, 3, 14), 17),
        budget_pence=next(b.amount_pence for b in programme.budgets if b.financial_year == year),
        min_award_pence=1_000_000,
        # The city's allocation is about £200,000.
        max_award_pence=25_000_000,
        # Every CSP plan gets the full form, whatever its size.
        short_form_threshold_pence=0,
        who_can_apply="The eight Community Safety Partnerships, by invitation.",
        invitation_only=True,
    )


def _csp_round(programme: Programme, year: int) -> Round:
    # The current year's round ran before the year began, like every year's.
    return csp_plan_round(programme, year, f"CSP annual plans {financial_year_label(year)}")
