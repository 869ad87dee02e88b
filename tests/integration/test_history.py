"""Award history from the ledger: per award (every event of the award, its application,
payments, returns and variations, in order, with who, what, amounts, why and the hash), per
organisation and programme (merged and paged), and "as at" any date, replayed from the events
up to the end of that London day rather than read from today's records."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event, select

from grants.calendar import london_today
from grants.extensions import db
from grants.models import (
    Application,
    AuditEvent,
    Award,
    AwardStatus,
    AwardYear,
    MonitoringReturn,
    Payment,
    StaffRole,
    User,
    Variation,
)
from grants.services import history
from tests.conftest import (
    complete_application,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    sign_in_as,
)
from workflows.engine import create, fire


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


# The world -------------------------------------------------------------------------------------


def people() -> dict[str, User]:
    return {
        "officer": make_staff(StaffRole.COMMISSIONING_OFFICER),
        "decider": make_staff(StaffRole.DECISION_MAKER),
        "finance": make_staff(StaffRole.FINANCE),
        "assessor": make_staff(StaffRole.ASSESSOR),
        "administrator": make_staff(StaffRole.ADMINISTRATOR),
    }


def offered_award(
    staff: dict[str, User], organisation, member: User, round_, reference: str, when: dt.datetime
) -> Award:
    """An application made, submitted and taken into assessment, and its award offered, with
    £6,000 in 2024/25 and £3,000 in 2025/26, a payment for each year and a return, all
    through the engine at the given times."""
    application = Application(
        round=round_,
        organisation=organisation,
        created_by_id=member.id,
        project_title="Friday night boxing",
        amount_requested_pence=900_000,
    )
    create(member, application, now=when - dt.timedelta(days=60))
    complete_application(application, member.id)
    fire(member, application, "submit", now=when - dt.timedelta(days=40))
    fire(staff["officer"], application, "start_assessment", now=when - dt.timedelta(days=30))
    award = Award(
        reference=reference,
        programme=round_.programme,
        organisation=organisation,
        application=application,
        title="Friday night boxing",
        amount_pence=900_000,
        approved_by_id=staff["decider"].id,
        offer_expires_at=when + dt.timedelta(days=60),
        years=[
            AwardYear(financial_year=2024, amount_pence=600_000),
            AwardYear(financial_year=2025, amount_pence=300_000),
        ],
    )
    create(staff["decider"], award, now=when, reason="Offer made on approval")
    for year, pence, due, final in ((2024, 600_000, 25, False), (2025, 300_000, 31, True)):
        payment = Payment(
            award=award,
            financial_year=year,
            amount_pence=pence,
            due_date=dt.date(2025, 3, due),
            is_final=final,
        )
        create(staff["decider"], payment, now=when)
    create(
        staff["decider"],
        MonitoringReturn(
            award=award,
            period_start=dt.date(2025, 4, 1),
            period_end=dt.date(2025, 6, 30),
            due_date=dt.date(2025, 7, 31),
        ),
        now=when,
    )
    db.session.commit()
    return award


@pytest.fixture
def world(ctx) -> dict:
    return build_world()


def build_world() -> dict:
    """Saffron Lane's award, offered on 10 March 2025, accepted and started in March, its
    2024/25 payment paid on 28 March; its 2025/26 payment recorded as paid at 00:30 on
    1 April (London; still 31 March in UTC); a variation in May and termination in June with
    a £1,000 clawback. A second award to another organisation in the same programme, and one
    in another programme, which no page of Saffron Lane's may show."""
    staff = people()
    saffron = make_organisation("Saffron Lane Boxing Club")
    member = make_member(saffron, "treasurer@saffron.example.org")
    round_ = open_round()
    round_.opens_at, round_.closes_at = at(2024, 12, 1), at(2025, 3, 1)
    round_.published_at = at(2024, 11, 30)
    db.session.add(round_)
    db.session.commit()

    award = offered_award(staff, saffron, member, round_, "PF-24-0001-A", at(2025, 3, 10))
    first, second = award.payments
    fire(member, award, "accept", now=at(2025, 3, 20), signatory="Amara Okafor")
    fire(staff["officer"], award, "activate", now=at(2025, 3, 25))
    fire(staff["officer"], first, "approve", now=at(2025, 3, 26))
    fire(staff["finance"], first, "pay", now=at(2025, 3, 28),
         paid_on=dt.date(2025, 3, 28), payment_reference="BACS-0001")  # fmt: skip
    fire(staff["officer"], second, "approve", now=at(2025, 3, 31, 10))
    fire(staff["finance"], second, "pay", now=at(2025, 3, 31, 23, 30),
         paid_on=dt.date(2025, 4, 1), payment_reference="BACS-0002")  # fmt: skip
    variation = Variation(
        award=award, summary="Move £500 to equipment", reason="Prices rose",
        requested_by_id=member.id,
    )  # fmt: skip
    create(member, variation, now=at(2025, 5, 1))
    fire(staff["officer"], variation, "approve", now=at(2025, 5, 5), reason="Still good value")
    fire(staff["decider"], award, "terminate", now=at(2025, 6, 1),
         reason="The club closed", clawback_pence=100_000)  # fmt: skip
    db.session.commit()

    braunstone = make_organisation("Braunstone Youth Club")
    other_member = make_member(braunstone, "chair@braunstone.example.org")
    other = offered_award(staff, braunstone, other_member, round_, "PF-24-0002-A", at(2025, 4, 2))

    elsewhere_round = open_round()
    elsewhere_round.programme.slug = "elsewhere"
    elsewhere_round.programme.name = "Elsewhere Fund"
    elsewhere_round.reference_prefix = "EF"
    elsewhere_round.opens_at, elsewhere_round.closes_at = at(2024, 12, 1), at(2025, 3, 1)
    elsewhere_round.published_at = at(2024, 11, 30)
    db.session.add(elsewhere_round)
    db.session.commit()
    elsewhere = offered_award(
        staff, saffron, member, elsewhere_round, "EF-24-0001-A", at(2025, 3, 12)
    )
    return {
        "staff": {name: user.id for name, user in staff.items()},
        "member": member.id,
        "other_member": other_member.id,
        "award": award.id,
        "application": award.application_id,
        "payments": [first.id, second.id],
        "variation": variation.id,
        "return": award.returns[0].id,
        "other": other.id,
        "elsewhere": elsewhere.id,
        "saffron": saffron.id,
        "braunstone": braunstone.id,
        "programme": round_.programme.id,
        "other_programme": elsewhere_round.programme.id,
    }


def client_for(app: Flask, user_id: int):
    client = app.test_client()
    sign_in_as(client, db.session.get(User, user_id))
    return client


@pytest.fixture
def finance(app, world):
    return client_for(app, world["staff"]["finance"])


def ledger_of(pairs: list[tuple[str, int]]) -> list[AuditEvent]:
    wanted = set(pairs)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
    return [e for e in events if (e.object_type, e.object_id) in wanted]


def objects_of(world: dict) -> list[tuple[str, int]]:
    return [
        ("award", world["award"]),
        ("application", world["application"]),
        *(("payment", p) for p in world["payments"]),
        ("monitoring_return", world["return"]),
        ("variation", world["variation"]),
    ]


def programme_objects(programme_id: int) -> list[tuple[str, int]]:
    awards = db.session.scalars(select(Award).where(Award.programme_id == programme_id)).all()
    pairs = []
    for award in awards:
        pairs += [("award", award.id), ("application", award.application_id)]
        pairs += [("payment", p.id) for p in award.payments]
        pairs += [("monitoring_return", r.id) for r in award.returns]
        variations = db.session.scalars(select(Variation).where(Variation.award_id == award.id))
        pairs += [("variation", v.id) for v in variations]
    return pairs


def rows(html: str) -> list[tuple[int, str]]:
    return [
        (int(seq), kind)
        for seq, kind in re.findall(r'data-seq="(\d+)" data-object="([a-z_]+)"', html)
    ]


def summary_value(html: str, key: str, table_id: str = "summary") -> str:
    block = re.search(rf'id="{table_id}".*?</dl>', html, re.S).group(0)
    match = re.search(
        rf"<dt[^>]*>\s*{re.escape(key)}\s*</dt>\s*<dd[^>]*>\s*(.*?)\s*</dd>", block, re.S
    )
    assert match, f"no {key} in {table_id}"
    return match.group(1)


def year_row(html: str, year: int, table_id: str = "years") -> list[str]:
    block = re.search(rf'id="{table_id}".*?</table>', html, re.S).group(0)
    row = re.search(rf'data-year="{year}">(.*?)</tr>', block, re.S).group(1)
    return [cell.strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


# One award -------------------------------------------------------------------------------------


def test_the_award_history_holds_every_event_of_the_award_and_what_belongs_to_it_in_order(
    world, finance
):
    page = finance.get(f"/finance/awards/{world['award']}/history")

    assert page.status_code == 200
    shown = rows(page.get_data(as_text=True))
    expected = ledger_of(objects_of(world))
    assert [seq for seq, _ in shown] == [e.seq for e in expected]
    assert {kind for _, kind in shown} == {
        "award", "application", "payment", "monitoring_return", "variation",
    }  # fmt: skip
    # The application's events come first; the award's own history starts with its creation.
    award_rows = [seq for seq, kind in shown if kind == "award"]
    first_award_event = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == award_rows[0]))
    assert first_award_event.action == "create"


def test_another_awards_events_are_not_in_an_awards_history(world, finance):
    html = finance.get(f"/finance/awards/{world['award']}/history").get_data(as_text=True)

    others = ledger_of([("award", world["other"]), ("award", world["elsewhere"])])
    shown = {seq for seq, _ in rows(html)}
    assert others and not shown & {e.seq for e in others}
    assert "PF-24-0002-A" not in html


def test_each_event_says_when_who_what_how_much_why_and_its_hash(world, finance):
    html = finance.get(f"/finance/awards/{world['award']}/history").get_data(as_text=True)
    terminate = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "award", AuditEvent.action == "terminate"
        )
    )
    row = re.search(rf'data-seq="{terminate.seq}".*?</tr>', html, re.S).group(0)

    assert "1 June 2025 at 1pm" in row  # noon UTC is 1pm in British Summer Time
    assert "Decision maker" in row  # make_staff names each user after their role
    assert "Terminated" in row
    assert "active → terminated" in row
    assert "Clawback: £1,000.00" in row
    assert "Amount: £9,000.00" in row
    assert "The club closed" in row
    assert terminate.hash[:12] in row
    assert f'title="{terminate.hash}"' in row
    assert terminate.prev_hash in row


def test_a_payment_event_names_the_payment_and_the_payment_details(world, finance):
    html = finance.get(f"/finance/awards/{world['award']}/history").get_data(as_text=True)
    paid = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "payment",
            AuditEvent.object_id == world["payments"][0],
            AuditEvent.action == "pay",
        )
    )
    row = re.search(rf'data-seq="{paid.seq}".*?</tr>', html, re.S).group(0)

    assert "Payment (2024/25, due 25 March 2025)" in row
    assert "approved → paid" in row
    assert "Payment reference: BACS-0001" in row
    assert "Amount: £6,000.00" in row
    assert "Finance" in row


def test_the_award_summary_comes_from_the_ledger(world, finance):
    html = finance.get(f"/finance/awards/{world['award']}/history").get_data(as_text=True)

    assert summary_value(html, "Status") == "Terminated"
    assert summary_value(html, "Awarded") == "£9,000.00"
    assert summary_value(html, "Paid") == "£9,000.00"
    assert summary_value(html, "Clawback") == "£1,000.00"
    assert year_row(html, 2024)[1:] == ["£6,000.00", "£6,000.00"]
    assert year_row(html, 2025)[1:] == ["£3,000.00", "£3,000.00"]


def test_the_award_page_links_to_its_organisations_and_programmes_history(world, finance):
    html = finance.get(f"/finance/awards/{world['award']}/history").get_data(as_text=True)

    assert f'href="/finance/organisations/{world["saffron"]}/history"' in html
    assert f'href="/finance/programmes/{world["programme"]}/history"' in html
    assert f'href="/staff/awards/{world["award"]}"' in html


def test_an_award_with_no_events_says_so(world, finance):
    award = Award(
        reference="PF-LEGACY-1",
        programme_id=world["programme"],
        organisation_id=world["saffron"],
        title="Loaded before the ledger",
        amount_pence=100_000,
        status=AwardStatus.ACTIVE,
    )
    db.session.add(award)
    db.session.commit()

    page = finance.get(f"/finance/awards/{award.id}/history")

    assert page.status_code == 200
    assert "The ledger has no events for this award." in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/finance/awards/999999/history",
        "/finance/organisations/999999/history",
        "/finance/programmes/999999/history",
        "/finance/programmes/999999/as-at?date=2025-03-31",
    ],
)
def test_unknown_objects_are_not_found(world, finance, url):
    assert finance.get(url).status_code == 404


@pytest.mark.parametrize("role", ["assessor", "administrator"])
def test_staff_who_do_not_read_the_money_are_refused(app, world, role):
    client = client_for(app, world["staff"][role])
    for url in (
        f"/finance/awards/{world['award']}/history",
        f"/finance/organisations/{world['saffron']}/history",
        f"/finance/programmes/{world['programme']}/history",
        f"/finance/programmes/{world['programme']}/as-at",
    ):
        assert client.get(url).status_code == 403, url


def test_the_organisation_cannot_read_the_finance_history_even_of_its_own_award(app, world):
    client = client_for(app, world["member"])
    page = client.get(f"/finance/awards/{world['award']}/history")
    assert page.status_code == 403
    assert "The club closed" not in page.get_data(as_text=True)


def test_signed_out_people_are_sent_to_sign_in(world, client):
    page = client.get(f"/finance/awards/{world['award']}/history")
    assert page.status_code == 302
    assert "/sign-in" in page.headers["Location"]


@pytest.mark.parametrize("role", ["officer", "decider"])
def test_officers_and_decision_makers_read_the_history(app, world, role):
    client = client_for(app, world["staff"][role])
    assert client.get(f"/finance/awards/{world['award']}/history").status_code == 200


# Organisations and programmes ------------------------------------------------------------------


def test_an_organisations_history_merges_all_its_awards_and_no_one_elses(world, finance):
    html = finance.get(f"/finance/organisations/{world['saffron']}/history").get_data(as_text=True)

    shown = [seq for seq, _ in rows(html)]
    assert "PF-24-0001-A" in html and "EF-24-0001-A" in html
    assert "PF-24-0002-A" not in html
    assert shown == sorted(shown)
    assert "across 2 awards" in html


def test_a_programmes_history_merges_its_awards_and_no_other_programmes(world, finance):
    html = finance.get(f"/finance/programmes/{world['programme']}/history").get_data(as_text=True)

    assert "PF-24-0001-A" in html and "PF-24-0002-A" in html
    assert "EF-24-0001-A" not in html


def test_an_organisation_with_no_awards_says_so(world, finance):
    nobody = make_organisation("Quiet Trust")
    html = finance.get(f"/finance/organisations/{nobody.id}/history").get_data(as_text=True)
    assert "No awards have been made to this organisation." in html


def test_the_merged_history_is_paged_fifty_events_at_a_time(world, finance):
    award = db.session.get(Award, world["other"])
    fire(
        db.session.get(User, world["other_member"]),
        award,
        "accept",
        now=at(2025, 4, 5),
        signatory="Chair",
    )
    db.session.commit()
    rated(world["other"], world["staff"]["officer"], 45)
    url = f"/finance/programmes/{world['programme']}/history"

    first = finance.get(url).get_data(as_text=True)
    second = finance.get(f"{url}?page=2").get_data(as_text=True)
    beyond = finance.get(f"{url}?page=99").get_data(as_text=True)

    total = int(re.search(r"Showing events 1 to 50 of (\d+)", first).group(1))
    first_rows, second_rows = rows(first), rows(second)
    assert total > 50
    assert len(first_rows) == 50
    assert len(first_rows) + len(second_rows) == total
    assert first_rows[-1][0] < second_rows[0][0]
    assert f'href="{url}?page=2"' in first
    assert "govuk-pagination" in first
    assert rows(beyond) == second_rows  # past the end: the last page


@pytest.mark.parametrize("page", ["0", "-1", "two", "²", "1" * 12])
def test_a_page_that_is_not_a_page_number_is_not_found(world, finance, page):
    url = f"/finance/programmes/{world['programme']}/history?page={page}"
    assert finance.get(url).status_code == 404


# As at -----------------------------------------------------------------------------------------


def test_as_at_31_march_replays_the_ledger_not_todays_records(world):
    march = history.programme_as_at(
        db.session.get(User, world["staff"]["finance"]), world["programme"], dt.date(2025, 3, 31)
    ).figures

    # The award was active then (it is terminated now), so all of it was committed; the
    # second payment was recorded at 00:30 on 1 April in London, so it was not yet paid.
    (row,) = march.awards
    assert (row.reference, row.state) == ("PF-24-0001-A", "active")
    assert march.committed_pence == 900_000
    assert march.paid_pence == 600_000
    assert march.clawback_pence == 0
    assert [(y.financial_year, y.committed_pence, y.paid_pence) for y in march.years] == [
        (2024, 600_000, 600_000),
        (2025, 300_000, 0),
    ]
    assert db.session.get(Award, world["award"]).status is AwardStatus.TERMINATED


def test_as_at_1_april_counts_the_payment_made_after_midnight_in_london(world):
    figures = history.programme_as_at(
        db.session.get(User, world["staff"]["finance"]), world["programme"], dt.date(2025, 4, 1)
    ).figures
    assert figures.paid_pence == 900_000


def test_as_at_later_a_terminated_award_counts_only_what_was_paid_and_an_offer_nothing(world):
    figures = history.programme_as_at(
        db.session.get(User, world["staff"]["finance"]), world["programme"], dt.date(2025, 7, 1)
    ).figures

    by_reference = {row.reference: row for row in figures.awards}
    assert by_reference["PF-24-0001-A"].state == "terminated"
    assert by_reference["PF-24-0001-A"].committed_pence == 900_000
    assert by_reference["PF-24-0002-A"].state == "offered"
    assert by_reference["PF-24-0002-A"].committed_pence == 0
    assert figures.offered_pence == 900_000
    assert figures.committed_pence == 900_000
    assert figures.clawback_pence == 100_000


def test_as_at_before_anything_was_awarded_shows_nothing(world, finance):
    html = finance.get(f"/finance/programmes/{world['programme']}/as-at?date=2025-01-01").get_data(
        as_text=True
    )
    assert "No awards had been made by then" in html
    assert summary_value(html, "Committed", "as-at-summary") == "£0.00"


def test_the_as_at_page_shows_the_figures_award_by_award(world, finance):
    page = finance.get(f"/finance/programmes/{world['programme']}/as-at?date=2025-03-31")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "as at 31 March 2025" in html
    assert summary_value(html, "Committed", "as-at-summary") == "£9,000.00"
    assert summary_value(html, "Paid", "as-at-summary") == "£6,000.00"
    assert year_row(html, 2024)[1:] == ["£6,000.00", "£6,000.00"]
    assert year_row(html, 2025)[1:] == ["£3,000.00", "£0.00"]
    assert f'data-award="{world["award"]}"' in html
    assert f'data-award="{world["other"]}"' not in html  # offered only on 2 April


def test_the_as_at_page_takes_the_day_month_and_year_boxes(world, finance):
    url = f"/finance/programmes/{world['programme']}/as-at?date=31&date=3&date=2025"
    html = finance.get(url).get_data(as_text=True)
    assert summary_value(html, "Paid", "as-at-summary") == "£6,000.00"
    assert 'value="31"' in html


def test_the_as_at_page_without_a_date_asks_for_one(world, finance):
    page = finance.get(f"/finance/programmes/{world['programme']}/as-at")
    assert page.status_code == 200
    assert "as-at-summary" not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date=30&date=2&date=2025", "As at must be a real date"),
        ("date=31&date=&date=2025", "As at must include a month"),
        ("date=2025-02-30", "As at must be a real date"),
        ("date=31&date=3&date=25", "As at must be a real date, with a 4-digit year"),
        (f"date={london_today() + dt.timedelta(days=1)}", "The date must be today or in the past"),
    ],
)
def test_a_date_that_is_not_a_real_past_date_is_refused(world, finance, query, message):
    page = finance.get(f"/finance/programmes/{world['programme']}/as-at?{query}")
    html = page.get_data(as_text=True)

    assert page.status_code == 400
    assert "govuk-error-summary" in html
    assert message in html
    assert "<title>Error:" in html
    assert "as-at-summary" not in html


def test_the_programme_history_as_at_a_date_stops_at_the_end_of_that_day(world, finance):
    url = f"/finance/programmes/{world['programme']}/history?as_at=2025-03-31"
    html = finance.get(url).get_data(as_text=True)

    until = history.end_of_london_day(dt.date(2025, 3, 31))
    shown = [seq for seq, _ in rows(html)]
    expected = db.session.scalars(
        select(AuditEvent.seq).where(AuditEvent.occurred_at < until).order_by(AuditEvent.seq)
    ).all()
    programme_events = {e.seq for e in ledger_of(programme_objects(world["programme"]))}
    assert shown == [seq for seq in expected if seq in programme_events]
    assert summary_value(html, "Paid", "as-at-summary") == "£6,000.00"
    assert "as at 31 March 2025" in html


def test_the_programme_history_as_at_form_refuses_a_half_date(world, finance):
    url = f"/finance/programmes/{world['programme']}/history?as_at=31&as_at=&as_at=2025"
    page = finance.get(url)
    assert page.status_code == 400
    assert "As at must include a month" in page.get_data(as_text=True)


def test_an_empty_as_at_date_shows_the_whole_history(world, finance):
    url = f"/finance/programmes/{world['programme']}/history?as_at=&as_at=&as_at="
    page = finance.get(url)
    assert page.status_code == 200
    assert "as-at-summary" not in page.get_data(as_text=True)


def test_the_end_of_a_london_day_follows_summer_time():
    assert history.end_of_london_day(dt.date(2025, 3, 31)) == at(2025, 3, 31, 23)
    assert history.end_of_london_day(dt.date(2025, 1, 31)) == at(2025, 2, 1, 0)


# A constant number of statements ---------------------------------------------------------------


@contextmanager
def statements_run(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def rated(award_id: int, officer_id: int, times: int) -> None:
    award = db.session.get(Award, award_id)
    officer = db.session.get(User, officer_id)
    for n in range(times):
        fire(officer, award, "rate", delivery="green", spend="amber", risk="red", reason=f"R{n}")
    db.session.commit()


def test_the_history_pages_run_the_same_statements_with_10_and_200_events(app, ctx):
    staff = people()
    organisation = make_organisation("Saffron Lane Boxing Club")
    member = make_member(organisation, "treasurer@saffron.example.org")
    round_ = open_round()
    round_.opens_at, round_.closes_at = at(2024, 12, 1), at(2025, 3, 1)
    round_.published_at = at(2024, 11, 30)
    db.session.add(round_)
    db.session.commit()
    award = offered_award(staff, organisation, member, round_, "PF-24-0001-A", at(2025, 3, 10))
    fire(member, award, "accept", now=at(2025, 3, 20), signatory="Amara Okafor")
    db.session.commit()
    rated(award.id, staff["officer"].id, 2)
    award_id, programme_id, organisation_id = award.id, round_.programme.id, organisation.id
    officer_id = staff["officer"].id
    urls = [
        f"/finance/awards/{award_id}/history",
        f"/finance/organisations/{organisation_id}/history",
        f"/finance/programmes/{programme_id}/history",
        f"/finance/programmes/{programme_id}/history?page=2",
        f"/finance/programmes/{programme_id}/history?as_at=2025-03-31",
        f"/finance/programmes/{programme_id}/as-at?date=2025-03-31",
    ]
    client = app.test_client()
    sign_in_as(client, staff["finance"])

    def counts() -> list[int]:
        found = []
        for url in urls:
            db.session.remove()  # each request starts cold, as in production
            with statements_run(app) as seen:
                response = client.get(url)
            assert response.status_code == 200, url
            found.append(len(seen))
        return found

    events = lambda: db.session.scalar(  # noqa: E731
        select(db.func.count()).select_from(AuditEvent)
    )
    assert events() == 10
    counts()  # the first requests also hand on the offer's follow-up jobs
    few = counts()
    rated(award_id, officer_id, 190)
    assert events() == 200
    many = counts()

    assert many == few


# The demo --------------------------------------------------------------------------------------


def test_finance_sees_real_history_for_every_demo_award(app, ctx):
    from grants.demo import load_demo

    load_demo()
    db.session.commit()
    finance = db.session.scalar(select(User).where(User.staff_role == StaffRole.FINANCE))
    client = app.test_client()
    sign_in_as(client, finance)
    awards = db.session.scalars(select(Award).order_by(Award.id)).all()

    assert awards
    for award in awards:
        page = client.get(f"/finance/awards/{award.id}/history")
        html = page.get_data(as_text=True)
        shown = rows(html)
        assert page.status_code == 200, award.reference
        assert shown, f"{award.reference} has no history"
        award_seqs = [seq for seq, kind in shown if kind == "award"]
        first = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == award_seqs[0]))
        assert (first.action, first.object_id) == ("create", award.id), award.reference
        if award.application_id is not None:
            assert shown[0][1] == "application", award.reference
