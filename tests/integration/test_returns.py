"""Monitoring returns, as the funded organisation fills them in: a draft saved with whatever is
ready, every answer checked, submitted through the engine and read-only afterwards, sent back with
comments and submitted again, evidence files, and "Overdue" derived from the due date."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Award,
    AwardStatus,
    BudgetLine,
    Document,
    MembershipRole,
    MonitoringReturn,
    OutputTarget,
    ReturnStatus,
    StaffRole,
    User,
)
from grants.services import returns
from grants.services.errors import NotFound, ServiceError
from tests.conftest import (
    csrf_token,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    post_form,
    sign_in_as,
)
from workflows.engine import fire

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
TODAY = returns.london_today()
NARRATIVE = "Forty young people came to at least ten sessions."


def funded_organisation(
    name: str = "Saffron Lane Boxing Club",
    email: str = "treasurer@saffron.example.org",
    reference: str = "PF-AWD-0001",
    due_date: dt.date | None = None,
    status: ReturnStatus = ReturnStatus.OPEN,
) -> dict:
    """An organisation with an active award from an approved application (two budget lines,
    two output targets) and one monitoring return. Tests may set states directly."""
    organisation = make_organisation(name)
    member = make_member(organisation, email)
    round_ = open_round()
    round_.programme.slug = reference.lower()  # one programme per funded organisation
    application = Application(
        round=round_,
        organisation=organisation,
        created_by_id=member.id,
        project_title="Friday night boxing",
        amount_requested_pence=900_000,
        status=ApplicationStatus.APPROVED,
        budget_lines=[
            BudgetLine(financial_year=2026, category="Coaches", amount_pence=600_000),
            BudgetLine(financial_year=2026, category="Venue hire", amount_pence=300_000),
        ],
        output_targets=[
            OutputTarget(description="Young people attend ten sessions", target=40),
            OutputTarget(description="Parents join a session", target=15, position=1),
        ],
    )
    award = Award(
        reference=reference,
        programme=round_.programme,
        organisation=organisation,
        application=application,
        title="Friday night boxing",
        amount_pence=900_000,
        status=AwardStatus.ACTIVE,
    )
    monitoring_return = MonitoringReturn(
        award=award,
        period_start=TODAY - dt.timedelta(days=91),
        period_end=TODAY - dt.timedelta(days=1),
        due_date=due_date or TODAY + dt.timedelta(days=20),
        status=status,
    )
    db.session.add_all([round_, application, award, monitoring_return])
    db.session.commit()
    return {
        "organisation_id": organisation.id,
        "member": member,
        "award": award,
        "return_id": monitoring_return.id,
        "lines": [line.id for line in application.budget_lines],
        "targets": [target.id for target in application.output_targets],
    }


@pytest.fixture
def world(ctx):
    return funded_organisation()


@pytest.fixture
def member(client, world):
    sign_in_as(client, world["member"])
    return client


def url(world: dict, suffix: str = "") -> str:
    return f"/returns/{world['return_id']}{suffix}"


def version_on(client, page_url: str) -> str:
    match = re.search(r'name="version" type="hidden" value="(\d+)"', client.get(page_url).text)
    assert match, f"no version on {page_url}"
    return match.group(1)


def save(client, world: dict, answers: dict, button: str = "save", version: str | None = None):
    version = version or version_on(client, url(world))
    return post_form(
        client, url(world), {**answers, "version": version, button: "y"}, token_from=url(world)
    )


def spend(world: dict, index: int) -> str:
    return f"spend_{world['lines'][index]}"


def achieved(world: dict, index: int) -> str:
    return f"achieved_{world['targets'][index]}"


def saved_return(world: dict) -> MonitoringReturn:
    db.session.expire_all()
    return db.session.get(MonitoringReturn, world["return_id"])


def error_summary(html: str) -> str:
    assert 'class="govuk-error-summary"' in html, "no error summary on the page"
    return html.split('class="govuk-error-summary"', 1)[1].split("</div>\n  </div>", 1)[0]


def submit_events() -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.seq)).where(
            AuditEvent.object_type == "monitoring_return", AuditEvent.action == "submit"
        )
    )


# Saving a draft -------------------------------------------------------------------------------


def test_a_draft_saves_whatever_is_ready_and_nothing_is_required(member, world):
    response = save(member, world, {spend(world, 0): "£1,250.5", achieved(world, 1): "0"})

    assert response.status_code == 302
    assert response.location == url(world, "?saved=1")
    saved = saved_return(world)
    assert saved.status is ReturnStatus.OPEN
    assert [(row.budget_line_id, row.spent_pence) for row in saved.spend] == [
        (world["lines"][0], 125_050)
    ]
    assert [(row.output_target_id, row.achieved) for row in saved.outputs] == [
        (world["targets"][1], 0)
    ]
    assert saved.narrative is None
    assert saved.version == 2
    page = member.get(response.location).text
    assert "Your return has been saved as a draft" in page
    assert 'value="1250.50"' in page


def test_a_draft_can_be_changed_and_answers_cleared(member, world):
    save(member, world, {spend(world, 0): "100", spend(world, 1): "200", "narrative": "So far"})
    save(member, world, {spend(world, 1): "250", "narrative": "  "})

    saved = saved_return(world)
    assert {row.budget_line_id: row.spent_pence for row in saved.spend} == {
        world["lines"][1]: 25_000
    }
    assert saved.narrative is None


def test_continue_saves_then_goes_to_check_and_submit(member, world):
    response = save(member, world, {"narrative": NARRATIVE}, button="check")

    assert response.status_code == 302
    assert response.location == url(world, "/submit")
    assert saved_return(world).narrative == NARRATIVE


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("twelve pounds", "Enter spend to date on Coaches (2026/27) in pounds and pence"),
        ("12.345", "Enter spend to date on Coaches (2026/27) in pounds and pence"),
        ("-5", "Spend to date on Coaches (2026/27) cannot be negative"),
        ("£-5.00", "Spend to date on Coaches (2026/27) cannot be negative"),
        ("1,000,000.01", "Spend to date on Coaches (2026/27) must be £1,000,000 or less"),
    ],
)
def test_spend_must_be_money_from_nothing_to_a_million(member, world, typed, message):
    response = save(member, world, {spend(world, 0): typed, "narrative": "Kept?"})

    assert response.status_code == 400
    assert message in error_summary(response.text)
    assert f'href="#{spend(world, 0)}"' in response.text
    saved = saved_return(world)
    assert saved.spend == [] and saved.narrative is None and saved.version == 1


def test_spend_of_nothing_and_of_exactly_a_million_are_accepted(member, world):
    response = save(member, world, {spend(world, 0): "0", spend(world, 1): "1,000,000"})

    assert response.status_code == 302
    assert sorted(row.spent_pence for row in saved_return(world).spend) == [0, 100_000_000]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3.5", "must be a whole number"),
        ("-1", "must be a whole number"),
        ("lots", "must be a whole number"),
        ("1,000,001", "must be 1,000,000 or less"),
    ],
)
def test_achieved_must_be_a_whole_number_of_nothing_or_more(member, world, typed, message):
    response = save(member, world, {achieved(world, 0): typed})

    assert response.status_code == 400
    summary = error_summary(response.text)
    assert "The number achieved for Young people attend ten sessions" in summary
    assert message in summary
    assert saved_return(world).outputs == []


def test_a_whole_number_with_commas_is_read_as_a_number(member, world):
    assert save(member, world, {achieved(world, 0): "1,200"}).status_code == 302
    assert saved_return(world).outputs[0].achieved == 1200


@pytest.mark.parametrize(
    ("field", "limit", "message"),
    [
        ("narrative", 5000, "How the project is going must be 5,000 characters or fewer"),
        ("case_study", 3000, "The case study must be 3,000 characters or fewer"),
        ("risks", 2000, "Risks and issues must be 2,000 characters or fewer"),
    ],
)
def test_text_longer_than_its_limit_is_refused(member, world, field, limit, message):
    assert save(member, world, {field: "a" * limit}).status_code == 302
    response = save(member, world, {field: "b" * (limit + 1)})

    assert response.status_code == 400
    assert message in error_summary(response.text)
    assert getattr(saved_return(world), field) == "a" * limit


def test_a_budget_line_that_is_not_the_awards_is_refused(member, world):
    other = funded_organisation("Other Trust", "owner@other.example.org", "PF-AWD-0002")
    for tampered in (f"spend_{other['lines'][0]}", "spend_999999"):
        response = save(member, world, {spend(world, 0): "10", tampered: "5"})

        assert response.status_code == 400
        assert returns.UNKNOWN_LINE in error_summary(response.text)
        assert saved_return(world).spend == []


def test_an_output_target_that_is_not_the_awards_is_refused(member, world):
    response = save(member, world, {achieved(world, 0): "3", "achieved_999999": "4"})

    assert response.status_code == 400
    assert returns.UNKNOWN_TARGET in error_summary(response.text)
    assert saved_return(world).outputs == []


def test_saving_from_a_second_tab_that_is_out_of_date_is_refused(member, world):
    first_tab = version_on(member, url(world))
    second_tab = version_on(member, url(world))
    assert (
        save(member, world, {"narrative": "From the first tab"}, version=first_tab).status_code
        == 302
    )

    response = save(member, world, {"narrative": "From the second tab"}, version=second_tab)

    assert response.status_code == 400
    assert "Someone else changed this while you were working on it" in response.text
    # The page now shows what is saved, at its current version, to start again from.
    assert "From the first tab" in response.text
    assert 'name="version" type="hidden" value="2"' in response.text
    assert saved_return(world).narrative == "From the first tab"


def test_a_save_that_changes_nothing_keeps_the_version(ctx, world):
    user = world["member"]
    answers = {world["lines"][0]: 500}
    returns.save_draft(user, world["return_id"], answers, {}, "Fine", None, None, 1)
    returns.save_draft(user, world["return_id"], answers, {}, "Fine", None, None, 2)

    assert saved_return(world).version == 2


def test_the_service_refuses_what_the_form_would_have_caught(ctx, world):
    user, return_id = world["member"], world["return_id"]
    line, target = world["lines"][0], world["targets"][0]
    with pytest.raises(ServiceError, match="cannot be negative") as refused:
        returns.save_draft(user, return_id, {line: -1}, {}, None, None, None, 1)
    assert refused.value.field == f"spend_{line}"
    with pytest.raises(ServiceError, match="0 or more"):
        returns.save_draft(user, return_id, {}, {target: -1}, None, None, None, 1)
    with pytest.raises(ServiceError, match="5,000 characters"):
        returns.save_draft(user, return_id, {}, {}, "x" * 5001, None, None, 1)
    with pytest.raises(ServiceError, match="not part of this award"):
        returns.save_draft(user, return_id, {123456: 1}, {}, None, None, None, 1)
    assert saved_return(world).version == 1


# Submitting -----------------------------------------------------------------------------------


def test_submitting_without_a_narrative_is_refused_with_the_reason(member, world):
    save(member, world, {spend(world, 0): "100"})
    check = url(world, "/submit")

    response = post_form(member, check, {"version": version_on(member, check)})

    assert response.status_code == 400
    assert "Tell us how the project is going" in error_summary(response.text)
    assert saved_return(world).status is ReturnStatus.OPEN
    assert submit_events() == 0


def test_submit_records_it_in_the_ledger_and_the_return_is_read_only_afterwards(member, world):
    save(
        member, world, {spend(world, 0): "4,000", achieved(world, 0): "38", "narrative": NARRATIVE}
    )
    check = url(world, "/submit")
    page = member.get(check).text
    assert "£4,000.00" in page and NARRATIVE in page

    response = post_form(member, check, {"version": version_on(member, check)})

    assert response.status_code == 302
    assert response.location == url(world, "/submitted")
    saved = saved_return(world)
    assert saved.status is ReturnStatus.SUBMITTED
    assert saved.submitted_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submit"))
    assert (event.object_type, event.object_id) == ("monitoring_return", saved.id)
    assert (event.from_state, event.to_state, event.actor_role) == (
        "open",
        "submitted",
        "applicant",
    )
    assert "Return submitted" in member.get(response.location).text

    read_only = member.get(url(world)).text
    assert 'name="narrative"' not in read_only and NARRATIVE in read_only
    assert "Change how the project is going" not in read_only
    assert "£4,000.00" in read_only
    version = str(saved.version)
    refused = save(member, world, {"narrative": "Changed afterwards"}, version=version)
    assert refused.status_code == 409
    assert "This return has been submitted, so it can no longer be changed" in refused.text
    again = post_form(member, check, {"version": version}, token_from=url(world))
    assert again.status_code == 409
    evidence = member.post(
        url(world, "/evidence"),
        data={
            "document": (io.BytesIO(PDF), "late.pdf"),
            "csrf_token": csrf_token(member, url(world)),
        },
        content_type="multipart/form-data",
    )
    assert evidence.status_code == 409
    after = saved_return(world)
    assert (after.narrative, after.version, after.status) == (
        NARRATIVE,
        saved.version,
        ReturnStatus.SUBMITTED,
    )
    assert submit_events() == 1
    assert db.session.scalar(select(func.count(Document.id))) == 0


def test_submit_from_a_check_page_that_is_out_of_date_is_refused(member, world):
    save(member, world, {"narrative": NARRATIVE})
    check = url(world, "/submit")
    seen = version_on(member, check)
    save(member, world, {"narrative": "Changed in another tab"})

    response = post_form(member, check, {"version": seen})

    assert response.status_code == 400
    assert "Someone else changed this while you were working on it" in error_summary(response.text)
    assert saved_return(world).status is ReturnStatus.OPEN


def test_a_returned_return_shows_the_comments_and_can_be_submitted_again(member, world):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    save(member, world, {"narrative": NARRATIVE})
    check = url(world, "/submit")
    post_form(member, check, {"version": version_on(member, check)})
    monitoring_return = saved_return(world)
    fire(officer, monitoring_return, "send_back", reason="Add the spend on venue hire, please.")
    db.session.commit()

    page = member.get(url(world)).text
    assert "govuk-notification-banner" in page
    assert "Add the spend on venue hire, please." in page
    assert "Changes needed" in page
    assert 'name="narrative"' in page  # editable again

    assert (
        save(member, world, {spend(world, 1): "2,500", "narrative": NARRATIVE}).status_code == 302
    )
    response = post_form(member, check, {"version": version_on(member, check)})

    assert response.status_code == 302
    saved = saved_return(world)
    assert saved.status is ReturnStatus.SUBMITTED
    assert saved.spend[0].spent_pence == 250_000
    assert submit_events() == 2


def test_the_confirmation_page_is_only_for_a_submitted_return(member, world):
    response = member.get(url(world, "/submitted"))

    assert response.status_code == 302
    assert response.location == url(world)


def test_the_check_page_of_a_submitted_return_goes_to_the_return(ctx, client):
    world = funded_organisation(status=ReturnStatus.SUBMITTED)
    sign_in_as(client, world["member"])

    response = client.get(url(world, "/submit"))

    assert response.status_code == 302 and response.location == url(world)


# States that cannot be filled in --------------------------------------------------------------


def test_a_return_that_is_not_open_yet_says_when_it_opens(ctx, client):
    world = funded_organisation(status=ReturnStatus.SCHEDULED)
    sign_in_as(client, world["member"])

    page = client.get(url(world)).text
    assert "This return opens after its period ends" in page
    assert 'name="narrative"' not in page
    response = save(client, world, {"narrative": "Too early"}, version="1")
    assert response.status_code == 409
    assert "This return is not open yet" in response.text
    assert saved_return(world).narrative is None


def test_a_waived_return_says_so(ctx, client):
    world = funded_organisation(status=ReturnStatus.WAIVED)
    sign_in_as(client, world["member"])

    page = client.get(url(world)).text
    assert "you do not need to send it" in page
    assert "Overdue" not in page


# Overdue --------------------------------------------------------------------------------------


def test_overdue_is_derived_from_the_due_date_and_the_state():
    def a_return(status: ReturnStatus, due: dt.date) -> MonitoringReturn:
        return MonitoringReturn(period_start=TODAY, period_end=TODAY, due_date=due, status=status)

    yesterday, today = TODAY - dt.timedelta(days=1), TODAY
    assert returns.is_overdue(a_return(ReturnStatus.OPEN, yesterday), today)
    assert returns.is_overdue(a_return(ReturnStatus.RETURNED, yesterday), today)
    assert not returns.is_overdue(a_return(ReturnStatus.OPEN, today), today)
    for status in (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED, ReturnStatus.WAIVED,
                   ReturnStatus.SCHEDULED):  # fmt: skip
        assert not returns.is_overdue(a_return(status, yesterday), today)


def test_today_is_the_date_in_london():
    # Half past eleven at night UTC in summer is already the next morning in London (BST).
    late_summer_evening_utc = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)
    assert returns.london_today(late_summer_evening_utc) == dt.date(2026, 7, 2)
    winter_evening_utc = dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)
    assert returns.london_today(winter_evening_utc) == dt.date(2026, 1, 1)


def test_the_organisations_returns_flag_an_overdue_open_return_but_not_a_submitted_one(ctx, client):
    yesterday = TODAY - dt.timedelta(days=1)
    world = funded_organisation(due_date=yesterday)
    late = saved_return(world)
    on_time = MonitoringReturn(
        award_id=late.award_id,
        period_start=late.period_start - dt.timedelta(days=91),
        period_end=late.period_start - dt.timedelta(days=1),
        due_date=yesterday,
        status=ReturnStatus.SUBMITTED,
    )
    db.session.add(on_time)
    db.session.commit()
    sign_in_as(client, world["member"])

    rows = returns.returns_of_organisation(world["member"], world["organisation_id"])
    assert {row.monitoring_return.id: row.is_overdue for row in rows} == {
        late.id: True,
        on_time.id: False,
    }
    page = client.get(f"/organisations/{world['organisation_id']}/returns").text
    rows_html = page.split("<tbody", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]
    overdue = {f"/returns/{late.id}" in row: ">Overdue<" in row.replace("\n", "").replace(" ", "")
               for row in rows_html}  # fmt: skip
    assert overdue == {True: True, False: False}
    assert "Overdue" in client.get(url(world)).text
    assert "Overdue" not in client.get(f"/returns/{on_time.id}").text


def test_a_return_due_today_is_not_overdue(member, world):
    page = member.get(f"/organisations/{world['organisation_id']}/returns").text
    assert "To do" in page
    assert "Overdue" not in page


# Evidence -------------------------------------------------------------------------------------


def test_evidence_is_uploaded_to_the_return(member, world):
    page = url(world, "/evidence")
    assert member.get(page).status_code == 200

    response = member.post(
        page,
        data={
            "document": (io.BytesIO(PDF), "Register May.pdf"),
            "csrf_token": csrf_token(member, page),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert response.location == url(world, "/submit")
    document = db.session.scalar(select(Document))
    assert document.monitoring_return_id == world["return_id"]
    assert document.organisation_id == world["organisation_id"]
    assert document.purpose == returns.EVIDENCE_PURPOSE
    assert "Register May.pdf" in member.get(url(world, "/submit")).text
    assert "Register May.pdf" in member.get(url(world)).text


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            (io.BytesIO(b"MZ this is really a program"), "report.pdf"),
            "The file is not a type we accept",
        ),
        (None, "Select a file"),
    ],
)
def test_evidence_of_the_wrong_kind_or_no_file_is_refused(member, world, upload, message):
    page = url(world, "/evidence")
    data = {"csrf_token": csrf_token(member, page)}
    if upload is not None:
        data["document"] = upload

    response = member.post(page, data=data, content_type="multipart/form-data")

    assert response.status_code == 400
    assert message in error_summary(response.text)
    assert db.session.scalar(select(func.count(Document.id))) == 0


# Who may see and do what ----------------------------------------------------------------------


def every_route(world: dict) -> list[tuple[str, str]]:
    return [
        ("GET", url(world)),
        ("POST", url(world)),
        ("GET", url(world, "/evidence")),
        ("POST", url(world, "/evidence")),
        ("GET", url(world, "/submit")),
        ("POST", url(world, "/submit")),
        ("GET", url(world, "/submitted")),
        ("GET", f"/organisations/{world['organisation_id']}/returns"),
    ]


def test_another_organisations_member_gets_not_found_on_every_route(app, ctx, world):
    outsider_org = make_organisation("Somewhere Else Trust")
    outsider = make_member(outsider_org, "outsider@else.example.org", MembershipRole.MEMBER)
    client = app.test_client()
    sign_in_as(client, outsider)
    token_page = f"/organisations/{outsider_org.id}/returns"
    assert client.get(token_page).status_code == 200

    for method, route in every_route(world):
        if method == "GET":
            response = client.get(route)
        else:
            response = post_form(
                client, route, {"narrative": "Not mine", "version": "1", "save": "y"},
                token_from=token_page,
            )  # fmt: skip
        assert response.status_code == 404, (method, route)
        assert "Friday night boxing" not in response.text
    assert client.get("/returns/999999").status_code == 404
    saved = saved_return(world)
    assert (saved.narrative, saved.status) == (None, ReturnStatus.OPEN)


def test_staff_cannot_use_the_organisations_pages_or_submit(app, ctx, world):
    officer = make_staff(StaffRole.COMMISSIONING_OFFICER)
    client = app.test_client()
    sign_in_as(client, officer)
    for method, route in every_route(world):
        if method == "GET":
            response = client.get(route)
        else:
            response = post_form(client, route, {"version": "1"}, token_from="/staff")
        assert response.status_code == 403, (method, route)

    # Staff may read a return through the service, but only the organisation writes or sends it.
    staff_user = db.session.get(User, officer.id)
    assert returns.return_for(staff_user, world["return_id"]).id == world["return_id"]
    with pytest.raises(ServiceError, match="permission"):
        returns.save_draft(staff_user, world["return_id"], {}, {}, NARRATIVE, None, None, 1)
    saved_return(world).narrative = NARRATIVE
    db.session.commit()
    with pytest.raises(ServiceError, match="You do not have permission to submit the return"):
        returns.submit(staff_user, world["return_id"], 2)
    assert saved_return(world).status is ReturnStatus.OPEN
    assert submit_events() == 0


def test_the_service_hides_other_organisations_returns(ctx, world):
    outsider = make_member(make_organisation("Elsewhere"), "x@elsewhere.example.org")

    with pytest.raises(NotFound):
        returns.return_for(outsider, world["return_id"])
    with pytest.raises(NotFound):
        returns.returns_of_organisation(outsider, world["organisation_id"])
    with pytest.raises(NotFound):
        returns.submit(outsider, world["return_id"], 1)
