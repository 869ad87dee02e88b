"""Assessing an application: staff declare their interests before taking part, officers record
due-diligence checks, assessors score every criterion with reasons, moderation shows where
assessors disagree, the ranked list draws the funding line against what is left of the budget,
an officer recommends and someone else with the authority decides. Every refusal lands in the
GOV.UK error summary and changes nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from grants.extensions import db
from grants.filters import london_datetime
from grants.models import (
    Application,
    ApplicationStatus,
    AssessorAssignment,
    Criterion,
    DecisionRecord,
    DueDiligenceCheck,
    InterestDeclaration,
    RegisteredInterest,
    Round,
    Score,
    StaffRole,
    User,
    utcnow,
)
from tests.conftest import (
    approve_via_page,
    csrf_token,
    make_member,
    make_organisation,
    make_staff,
    open_round,
    sign_in_as,
)
from tests.conftest import post_form as _post_form

# Need is worth 60% and delivery 40%, each scored 0 to 5: a weighted percentage is
# 12 x need + 8 x delivery.
CRITERIA = (("Need", 60, 5), ("Delivery", 40, 5))
STAFF = {
    "assessor": StaffRole.ASSESSOR,
    "second_assessor": StaffRole.ASSESSOR,
    "officer": StaffRole.COMMISSIONING_OFFICER,
    "second_officer": StaffRole.COMMISSIONING_OFFICER,
    "decider": StaffRole.DECISION_MAKER,
    "finance": StaffRole.FINANCE,
}
CONFLICT = "You have a conflict of interest in this application, so you cannot take part"
# A page that always has a form, for a CSRF token when the page posted to may show none.
TOKEN_PAGE = "/staff/interests"


def assessment_round(**fields: object) -> Round:
    round_ = open_round()
    for name, value in fields.items():
        setattr(round_, name, value)
    for position, (name, weight, max_score) in enumerate(CRITERIA, start=1):
        round_.criteria.append(
            Criterion(position=position, name=name, weight=weight, max_score=max_score)
        )
    db.session.add(round_)
    db.session.commit()
    return round_


def in_assessment(
    round_: Round, title: str, amount_pence: int, reference: str, organisation=None
) -> Application:
    """An application in assessment, put there directly (the moves that get it there have
    their own tests)."""
    organisation = organisation or make_organisation(f"{title} group")
    member = make_member(organisation, f"{reference.lower()}@example.org")
    application = Application(
        round=round_,
        organisation=organisation,
        created_by_id=member.id,
        project_title=title,
        amount_requested_pence=amount_pence,
        status=ApplicationStatus.IN_ASSESSMENT,
        reference=reference,
        submitted_at=utcnow(),
    )
    db.session.add(application)
    db.session.commit()
    return application


def give_scores(application: Application, assessor_id: int, need: int, delivery: int) -> None:
    """Scores as if submitted (for pages that read them). Not committed."""
    now = utcnow()
    for criterion, value in zip(application.round.criteria, (need, delivery), strict=True):
        application.scores.append(
            Score(
                assessor_id=assessor_id,
                criterion_id=criterion.id,
                score=value,
                justification="Evidence in the application",
                scored_at=now,
            )
        )


@pytest.fixture
def case(app):
    with app.app_context():
        round_ = assessment_round(approval_limit_pence=500_000)
        application = in_assessment(round_, "Boxing after school", 800_000, "PF-2627-0001")
        people = {
            name: make_staff(role, f"{name}@opcc.example.org") for name, role in STAFF.items()
        }
        return SimpleNamespace(
            application_id=application.id,
            round_id=round_.id,
            organisation_id=application.organisation_id,
            criteria=[criterion.id for criterion in round_.criteria],
            **{name: user.id for name, user in people.items()},
        )


def signed_in(app, user_id: int):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, db.session.get(User, user_id))
    return client


def post_form(client, url: str, data: dict):
    return _post_form(client, url, data, token_from=TOKEN_PAGE)


def version_of(app, application_id: int) -> int:
    with app.app_context():
        return db.session.get(Application, application_id).version


def declare(client, application_id: int, interest: str = "no", details: str = "", conflict=""):
    return post_form(
        client,
        f"/staff/applications/{application_id}/interests",
        {"has_interest": interest, "details": details, "conflicted": conflict},
    )


def score(app, client, case, marks: dict[int, tuple[str, str]] | None = None, version=None):
    """Submit scores: ``marks`` maps a criterion's position (0, 1) to (score, reasons)."""
    marks = marks if marks is not None else {0: ("4", "Clear need"), 1: ("3", "Sound plan")}
    data = {
        "version": str(version if version is not None else version_of(app, case.application_id))
    }
    for position, (value, reasons) in marks.items():
        criterion_id = case.criteria[position]
        data[f"score_{criterion_id}"] = value
        data[f"justification_{criterion_id}"] = reasons
    return post_form(client, f"/staff/applications/{case.application_id}/score", data)


def scores_of(app, user_id: int | None = None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Score)
        if user_id is not None:
            query = query.where(Score.assessor_id == user_id)
        return db.session.scalar(query)


def declaration_of(app, application_id: int, user_id: int) -> InterestDeclaration | None:
    with app.app_context():
        return db.session.scalar(
            select(InterestDeclaration).where(
                InterestDeclaration.application_id == application_id,
                InterestDeclaration.user_id == user_id,
            )
        )


def error_summary(response) -> str:
    assert response.status_code == 400, response.status_code
    html = response.text
    assert "govuk-error-summary" in html
    return html


def move(client, application_id: int, trigger: str, version: int, **fields):
    if trigger == "approve":  # approving is on its own page: it makes the offer
        return approve_via_page(client, application_id, version, **fields)
    token = csrf_token(client, f"/staff/applications/{application_id}")
    data = {f"{trigger}-csrf_token": token, f"{trigger}-version": version}
    data.update({f"{trigger}-{name}": value for name, value in fields.items()})
    return client.post(f"/staff/applications/{application_id}/moves/{trigger}", data=data)


def recommend(client, application_id: int, version: int, **fields):
    data = {"version": str(version), "recommendation": "approve", "amount": "8,000"}
    data["reason"] = "Strong need in the ward and a credible plan"
    data.update(fields)
    return post_form(client, f"/staff/applications/{application_id}/recommend", data)


# Declarations of interest ------------------------------------------------------------------


def test_no_interest_is_recorded_and_the_page_shows_it(app, case):
    assessor = signed_in(app, case.assessor)
    response = declare(assessor, case.application_id, "no")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/applications/{case.application_id}"
    declaration = declaration_of(app, case.application_id, case.assessor)
    assert (declaration.conflicted, declaration.details) == (False, "")
    page = assessor.get(f"/staff/applications/{case.application_id}/interests").text
    assert "No interest" in page


def test_an_interest_that_is_not_a_conflict_is_recorded_with_its_details(app, case):
    assessor = signed_in(app, case.assessor)
    response = declare(assessor, case.application_id, "yes", "  My cousin coaches there  ", "no")
    assert response.status_code == 302
    declaration = declaration_of(app, case.application_id, case.assessor)
    assert (declaration.conflicted, declaration.details) == (False, "My cousin coaches there")


def test_a_conflict_is_recorded(app, case):
    assessor = signed_in(app, case.assessor)
    assert declare(assessor, case.application_id, "yes", "I am a trustee", "yes").status_code == 302
    declaration = declaration_of(app, case.application_id, case.assessor)
    assert (declaration.conflicted, declaration.details) == (True, "I am a trustee")


@pytest.mark.parametrize(
    ("interest", "details", "conflict", "message"),
    [
        ("", "", "", "Select yes if you have any interest in this application or the organisation"),
        ("maybe", "", "", "Select yes if you have any interest"),
        ("yes", "   ", "no", "Describe your interest"),
        ("yes", "I am a trustee", "", "Select whether your interest stops you taking part"),
        ("yes", "x" * 2001, "no", "Your interest must be 2,000 characters or fewer"),
    ],
)
def test_an_incomplete_declaration_is_refused(app, case, interest, details, conflict, message):
    assessor = signed_in(app, case.assessor)
    response = declare(assessor, case.application_id, interest, details, conflict)
    assert message in error_summary(response)
    assert declaration_of(app, case.application_id, case.assessor) is None


def test_a_declaration_can_be_changed_until_you_have_scored(app, case):
    assessor = signed_in(app, case.assessor)
    declare(assessor, case.application_id, "no")
    assert (
        declare(assessor, case.application_id, "yes", "I know the coach", "no").status_code == 302
    )
    assert declaration_of(app, case.application_id, case.assessor).details == "I know the coach"
    assert score(app, assessor, case).status_code == 302

    page = assessor.get(f"/staff/applications/{case.application_id}/interests").text
    assert "You have scored this application, so you cannot change your declaration" in page
    assert 'name="has_interest"' not in page
    refused = declare(assessor, case.application_id, "yes", "I am a trustee", "yes")
    assert "You have scored this application" in error_summary(refused)
    declaration = declaration_of(app, case.application_id, case.assessor)
    assert (declaration.conflicted, declaration.details) == (False, "I know the coach")


def test_scoring_before_declaring_shows_the_declaration_first(app, case):
    assessor = signed_in(app, case.assessor)
    page = assessor.get(f"/staff/applications/{case.application_id}/score")
    assert page.status_code == 200
    assert "Declare any interests in this application before you score it." in page.text
    assert f'action="/staff/applications/{case.application_id}/interests?next=score"' in page.text
    response = post_form(
        assessor,
        f"/staff/applications/{case.application_id}/interests?next=score",
        {"has_interest": "no"},
    )
    assert response.headers["Location"] == f"/staff/applications/{case.application_id}/score"
    assert 'name="score_' in assessor.get(response.headers["Location"]).text


def test_the_engine_refuses_scores_from_someone_who_has_not_declared(app, case):
    assessor = signed_in(app, case.assessor)
    refused = score(app, assessor, case)
    assert "Declare any interests in this application first" in error_summary(refused)
    assert scores_of(app) == 0


# Conflicts ---------------------------------------------------------------------------------


def test_a_conflicted_assessor_is_refused_by_the_engine_and_nothing_is_saved(app, case):
    assessor = signed_in(app, case.assessor)
    declare(assessor, case.application_id, "yes", "I am the club's treasurer", "yes")
    page = assessor.get(f"/staff/applications/{case.application_id}/score").text
    assert CONFLICT in page
    assert 'name="score_' not in page

    refused = score(app, assessor, case)
    html = error_summary(refused)
    assert CONFLICT in html
    assert 'href="#refusal"' in html and 'id="refusal"' in html
    assert scores_of(app) == 0


def test_a_registered_interest_conflicts_automatically(app, case):
    assessor = signed_in(app, case.assessor)
    added = post_form(
        assessor,
        "/staff/interests",
        {"organisation": str(case.organisation_id), "description": "Trustee since 2021"},
    )
    assert added.status_code == 302
    page = assessor.get(f"/staff/applications/{case.application_id}/interests").text
    assert "Your register of interests lists an interest in" in page
    assert "Trustee since 2021" in page

    # Declaring "no interest" does not undo what the register says.
    declare(assessor, case.application_id, "no")
    assert CONFLICT in error_summary(score(app, assessor, case))
    assert scores_of(app) == 0

    with app.app_context():
        interest_id = db.session.scalar(select(RegisteredInterest.id))
    ended = post_form(assessor, "/staff/interests/end", {"interest": str(interest_id)})
    assert ended.status_code == 302
    assert score(app, assessor, case).status_code == 302
    assert scores_of(app, case.assessor) == 2


def test_a_conflicted_decision_maker_cannot_decide(app, case):
    officer = signed_in(app, case.officer)
    declare(officer, case.application_id, "no")
    recommend(officer, case.application_id, version_of(app, case.application_id))
    decider = signed_in(app, case.decider)
    declare(decider, case.application_id, "yes", "My partner runs the club", "yes")
    refused = move(
        decider, case.application_id, "approve", version_of(app, case.application_id), amount="8000"
    )
    assert CONFLICT in error_summary(refused)
    with app.app_context():
        assert db.session.get(Application, case.application_id).status is (
            ApplicationStatus.IN_ASSESSMENT
        )


# Who scores, and how ------------------------------------------------------------------------


def test_once_assessors_are_assigned_only_they_and_officers_score(app, case):
    with app.app_context():
        db.session.add(
            AssessorAssignment(
                application_id=case.application_id,
                assessor_id=case.assessor,
                assigned_by_id=case.officer,
                assigned_at=utcnow(),
            )
        )
        db.session.commit()
    unassigned = signed_in(app, case.second_assessor)
    declare(unassigned, case.application_id, "no")
    message = "Only the assessors assigned to this application can score it"
    assert message in unassigned.get(f"/staff/applications/{case.application_id}/score").text
    assert message in error_summary(score(app, unassigned, case))
    assert scores_of(app) == 0

    for user_id in (case.assessor, case.officer):
        client = signed_in(app, user_id)
        declare(client, case.application_id, "no")
        assert score(app, client, case).status_code == 302
    assert scores_of(app) == 4


def test_finance_cannot_score(app, case):
    finance = signed_in(app, case.finance)
    page = finance.get(f"/staff/applications/{case.application_id}/score")
    assert page.status_code == 200
    assert "Only assessors and commissioning officers score applications" in page.text
    declare(finance, case.application_id, "no")
    refused = score(app, finance, case)
    assert "Only assessors and commissioning officers score applications" in error_summary(refused)
    assert scores_of(app) == 0


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ({0: ("9", "Too keen"), 1: ("3", "Fine")}, "The score for 'Need' must be between 0 and 5"),
        ({0: ("-1", "Harsh"), 1: ("3", "Fine")}, "The score for 'Need' must be between 0 and 5"),
        ({0: ("", "No score"), 1: ("3", "Fine")}, "Select a score for 'Need'"),
        (
            {0: ("4", "Clear need"), 1: ("3", "   ")},
            "Give the reasons for your score for 'Delivery'",
        ),
        ({0: ("4", "Clear need")}, "Select a score for 'Delivery'"),
        (
            {0: ("4", "x" * 2001), 1: ("3", "Fine")},
            "The reasons for 'Need' must be 2,000 characters or fewer",
        ),
    ],
)
def test_scores_must_be_in_range_and_justified(app, case, marks, message):
    assessor = signed_in(app, case.assessor)
    declare(assessor, case.application_id, "no")
    refused = score(app, assessor, case, marks)
    assert message.replace("'", "&#39;") in error_summary(refused)
    assert scores_of(app) == 0


def test_scores_are_saved_replaced_and_recorded_in_the_ledger(app, case):
    from grants.models import AuditEvent

    assessor = signed_in(app, case.assessor)
    declare(assessor, case.application_id, "no")
    assert score(app, assessor, case, {0: ("4", "Clear"), 1: ("3", "Sound")}).status_code == 302
    assert score(app, assessor, case, {0: ("5", "Clearer"), 1: ("3", "Sound")}).status_code == 302
    with app.app_context():
        saved = {
            s.criterion_id: (s.score, s.justification) for s in db.session.scalars(select(Score))
        }
        events = db.session.scalars(
            select(AuditEvent.changes).where(AuditEvent.action == "score")
        ).all()
    assert saved == {case.criteria[0]: (5, "Clearer"), case.criteria[1]: (3, "Sound")}
    # 12 x 4 + 8 x 3 = 72, then 12 x 5 + 8 x 3 = 84
    assert [e.replace(" ", "") for e in events] == [
        '{"weighted_percent":72}',
        '{"weighted_percent":84}',
    ]
    page = assessor.get(f"/staff/applications/{case.application_id}/score").text
    assert "84%" in page and "Clearer" in page


def test_a_stale_score_page_is_refused_and_saves_nothing(app, case):
    assessor = signed_in(app, case.assessor)
    declare(assessor, case.application_id, "no")
    stale = version_of(app, case.application_id)
    with app.app_context():
        # Someone else's change (a recommendation, say) after the page was drawn.
        db.session.get(Application, case.application_id).project_title = "Boxing after school!"
        db.session.commit()
    refused = score(app, assessor, case, version=stale)
    assert "Someone else changed this while you were working on it" in error_summary(refused)
    assert scores_of(app) == 0


def test_applications_not_in_assessment_are_not_scored(app, case):
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        application.status = ApplicationStatus.SUBMITTED
        db.session.commit()
    assessor = signed_in(app, case.assessor)
    declare(assessor, case.application_id, "no")
    page = assessor.get(f"/staff/applications/{case.application_id}/score").text
    assert "Applications are scored while they are in assessment; this one is submitted" in page
    assert "because the application is submitted" in error_summary(score(app, assessor, case))
    assert scores_of(app) == 0


# Moderation and ranking ----------------------------------------------------------------------


def test_moderation_shows_each_assessors_score_the_spread_and_the_flag(app, case):
    with app.app_context():
        round_ = db.session.get(Round, case.round_id)
        agreed_id = in_assessment(round_, "Knife crime talks", 300_000, "PF-2627-0002").id
    first = signed_in(app, case.assessor)
    second = signed_in(app, case.second_assessor)
    for client, need in ((first, "5"), (second, "2")):
        declare(client, case.application_id, "no")
        assert (
            score(app, client, case, {0: (need, "Because"), 1: ("4", "Sound")}).status_code == 302
        )
    with app.app_context():
        agreed = db.session.get(Application, agreed_id)
        give_scores(agreed, case.assessor, 4, 4)
        give_scores(agreed, case.second_assessor, 3, 3)
        db.session.commit()

    officer = signed_in(app, case.officer)
    html = officer.get(f"/staff/rounds/{case.round_id}/moderation").text
    first_section, second_section = html.split('id="application-')[1:3]
    # Boxing: 12 x 5 + 8 x 4 = 92 and 12 x 2 + 8 x 4 = 56, mean 74; need is 3 apart (over 2).
    boxing = first_section if "Boxing after school" in first_section else second_section
    talks = second_section if boxing is first_section else first_section
    for expected in ("92%", "56%", "74%", "2, 5", "Needs moderation"):
        assert expected in boxing
    # Talks: 80 and 60, mean 70; one point apart on each criterion.
    for expected in ("80%", "60%", "70%", "Within 2"):
        assert expected in talks
    assert "Needs moderation" not in talks
    assert "1 of 2 applications needs moderation" in html


def count_statements(app, client, url: str) -> int:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def listener(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_moderation_and_ranking_use_the_same_number_of_statements_for_more_applications(app, case):
    officer = signed_in(app, case.officer)
    pages = [f"/staff/rounds/{case.round_id}/{page}" for page in ("moderation", "ranking")]

    def add_scored(reference: str) -> None:
        with app.app_context():
            round_ = db.session.get(Round, case.round_id)
            application = in_assessment(round_, f"Project {reference}", 100_000, reference)
            give_scores(application, case.assessor, 3, 4)
            give_scores(application, case.second_assessor, 5, 1)
            db.session.commit()

    add_scored("PF-2627-0010")
    officer.get(pages[0])  # the session's first request of this client records its start
    before = [count_statements(app, officer, url) for url in pages]
    for number in range(11, 16):
        add_scored(f"PF-2627-00{number}")
    assert [count_statements(app, officer, url) for url in pages] == before


def test_ranking_orders_by_mean_score_and_draws_the_funding_line(app, case):
    with app.app_context():
        round_ = db.session.get(Round, case.round_id)
        round_.budget_pence = 2_000_000
        round_.funding_threshold_percent = 50
        db.session.commit()
        made = {}
        for reference, title, amount, (need, delivery) in [
            ("PF-2627-0011", "Gamma project", 500_000, (4, 4)),  # 80%
            ("PF-2627-0012", "Alpha project", 1_000_000, (5, 5)),  # 100%
            ("PF-2627-0013", "Low scorer", 100_000, (1, 1)),  # 20%, below the threshold
            ("PF-2627-0014", "Beta project", 800_000, (5, 4)),  # 92%
            ("PF-2627-0015", "Not yet scored", 100_000, (None, None)),
        ]:
            application = in_assessment(round_, title, amount, reference)
            if need is not None:
                give_scores(application, case.assessor, need, delivery)
            made[title] = application
        approved = in_assessment(round_, "Already funded", 200_000, "PF-2627-0016")
        give_scores(approved, case.assessor, 3, 3)  # 60%
        approved.status = ApplicationStatus.APPROVED
        approved.amount_approved_pence = 200_000
        # The fixture's application has no scores: unscored, at the end.
        db.session.commit()

    officer = signed_in(app, case.officer)
    html = officer.get(f"/staff/rounds/{case.round_id}/ranking").text
    order = [
        "Alpha project",  # 100%, running total £10,000
        "Beta project",  # 92%, £18,000: exactly the £18,000 left
        'id="funding-line"',
        "Gamma project",  # 80%, £23,000: over
        "Already funded",  # 60%, approved already
        "Low scorer",  # 20%
    ]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)
    assert html.index("Not yet scored</a>") > html.index("Low scorer")
    assert "Remaining budget" in html and "£18,000.00" in html
    assert "Funding line: the 2 applications above this line fit within the remaining budget" in (
        html
    )
    assert "£23,000.00" in html  # the running total that passes the line
    assert "Below the 50% funding threshold" in html
    assert "Approved: £2,000.00" in html
    line = html.index('id="funding-line"')
    assert html.count('id="funding-line"') == 1
    assert html.index("Below the funding line") > line


def test_the_funding_line_goes_after_everything_when_all_fit(app, case):
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        give_scores(application, case.assessor, 4, 4)
        db.session.commit()
    officer = signed_in(app, case.officer)
    html = officer.get(f"/staff/rounds/{case.round_id}/ranking").text
    assert html.index("Boxing after school") < html.index('id="funding-line"')
    assert "the 1 application above this line fits within the remaining budget of £100,000.00" in (
        html
    )


def test_a_conflicted_viewer_does_not_see_the_scores_in_moderation(app, case):
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        give_scores(application, case.assessor, 4, 4)
        db.session.commit()
    officer = signed_in(app, case.officer)
    declare(officer, case.application_id, "yes", "I volunteer at the club", "yes")
    html = officer.get(f"/staff/rounds/{case.round_id}/moderation").text
    assert "its scores are not shown to you" in html
    assert "80%" not in html


# Recommendation and decision ---------------------------------------------------------------


def test_officer_recommends_and_a_decision_maker_approves_above_the_limit(app, case):
    officer = signed_in(app, case.officer)
    page = officer.get(f"/staff/applications/{case.application_id}/recommend").text
    assert "Declare any interests in this application before you make a recommendation." in page
    declare(officer, case.application_id, "no")
    response = recommend(officer, case.application_id, version_of(app, case.application_id))
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        assert (
            application.recommendation,
            application.recommended_amount_pence,
            application.recommended_by_id,
        ) == ("approve", 800_000, case.officer)
    summary = officer.get(f"/staff/applications/{case.application_id}").text
    assert "Approve: £8,000.00, recommended by Commissioning officer" in summary
    assert "Strong need in the ward and a credible plan" in summary

    # £8,000 is over the round's £5,000 limit: another officer may not approve it.
    second_officer = signed_in(app, case.second_officer)
    declare(second_officer, case.application_id, "no")
    version = version_of(app, case.application_id)
    refused = move(second_officer, case.application_id, "approve", version, amount="8,000")
    assert "Only a decision maker can approve more than £5,000" in error_summary(refused)

    decider = signed_in(app, case.decider)
    declare(decider, case.application_id, "no")
    approved = move(decider, case.application_id, "approve", version, amount="8,000")
    assert approved.status_code == 302
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        assert application.status is ApplicationStatus.APPROVED
        assert application.amount_approved_pence == 800_000


def test_an_officer_approves_within_the_limit(app, case):
    officer = signed_in(app, case.officer)
    declare(officer, case.application_id, "no")
    recommend(officer, case.application_id, version_of(app, case.application_id), amount="4,000")
    second_officer = signed_in(app, case.second_officer)
    declare(second_officer, case.application_id, "no")
    version = version_of(app, case.application_id)
    assert (
        move(second_officer, case.application_id, "approve", version, amount="4,000").status_code
        == 302
    )


def test_whoever_recommended_cannot_decide(app, case):
    officer = signed_in(app, case.officer)
    declare(officer, case.application_id, "no")
    recommend(officer, case.application_id, version_of(app, case.application_id), amount="4,000")
    version = version_of(app, case.application_id)
    refused = move(officer, case.application_id, "approve", version, amount="4,000")
    assert "The decision must be made by someone other than whoever recommended it" in (
        error_summary(refused)
    )
    refused = move(officer, case.application_id, "reject", version, reason="Changed my mind")
    assert "someone other than whoever recommended it" in error_summary(refused)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DecisionRecord)) == 0


def test_a_decision_needs_a_recommendation_first(app, case):
    decider = signed_in(app, case.decider)
    declare(decider, case.application_id, "no")
    refused = move(
        decider, case.application_id, "approve", version_of(app, case.application_id), amount="8000"
    )
    assert "The application needs a recommendation before a decision" in error_summary(refused)


def test_an_approval_over_the_remaining_budget_is_refused(app, case):
    with app.app_context():
        round_ = db.session.get(Round, case.round_id)
        round_.budget_pence = 1_000_000
        funded = in_assessment(round_, "Already funded", 600_000, "PF-2627-0002")
        funded.status = ApplicationStatus.APPROVED
        funded.amount_approved_pence = 600_000
        db.session.commit()
    officer = signed_in(app, case.officer)
    declare(officer, case.application_id, "no")
    recommend(officer, case.application_id, version_of(app, case.application_id))
    decider = signed_in(app, case.decider)
    declare(decider, case.application_id, "no")
    refused = move(
        decider, case.application_id, "approve", version_of(app, case.application_id), amount="8000"
    )
    assert "This is more than the round has left: £4,000.00" in error_summary(refused)
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        assert application.status is ApplicationStatus.IN_ASSESSMENT
        assert application.amount_approved_pence is None
        assert db.session.scalar(select(func.count()).select_from(DecisionRecord)) == 0


def test_the_decision_record_lists_the_interests_declared(app, case):
    assessor = signed_in(app, case.assessor)
    declare(assessor, case.application_id, "yes", "My sister volunteers at the club", "no")
    assert score(app, assessor, case).status_code == 302
    officer = signed_in(app, case.officer)
    declare(officer, case.application_id, "no")
    recommend(officer, case.application_id, version_of(app, case.application_id))
    decider = signed_in(app, case.decider)
    declare(decider, case.application_id, "no")
    version = version_of(app, case.application_id)
    assert move(decider, case.application_id, "approve", version, amount="7,500").status_code == 302

    with app.app_context():
        record = db.session.scalar(select(DecisionRecord))
        assert (record.reference, record.decision, record.amount_pence) == (
            "DEC-PF-2627-0001",
            "approved",
            750_000,
        )
        assert record.decision_maker_id == case.decider
        assert record.interests_declared == "My sister volunteers at the club"
        decided = london_datetime(record.decided_at)
    page = decider.get(f"/staff/applications/{case.application_id}").text
    assert "Decision record" in page
    for expected in ("DEC-PF-2627-0001", "£7,500.00", "Decision maker", decided, "Published"):
        assert expected in page
    assert "My sister volunteers at the club" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"recommendation": ""}, "Select whether you recommend approval or rejection"),
        ({"amount": ""}, "Enter the amount you recommend"),
        ({"amount": "lots"}, "Enter an amount in pounds and pence"),
        ({"amount": "9,000"}, "The amount recommended cannot be more than the amount requested"),
        ({"reason": "  "}, "Enter the reasons for your recommendation"),
    ],
)
def test_an_incomplete_recommendation_is_refused(app, case, fields, message):
    officer = signed_in(app, case.officer)
    declare(officer, case.application_id, "no")
    refused = recommend(
        officer, case.application_id, version_of(app, case.application_id), **fields
    )
    assert message in error_summary(refused)
    with app.app_context():
        assert db.session.get(Application, case.application_id).recommendation is None


def test_a_rejection_needs_no_amount(app, case):
    officer = signed_in(app, case.officer)
    declare(officer, case.application_id, "no")
    response = recommend(
        officer,
        case.application_id,
        version_of(app, case.application_id),
        recommendation="reject",
        amount="",
        reason="Duplicates an existing service",
    )
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        assert (application.recommendation, application.recommended_amount_pence) == (
            "reject",
            None,
        )


def test_only_officers_recommend(app, case):
    assessor = signed_in(app, case.assessor)
    declare(assessor, case.application_id, "no")
    page = assessor.get(f"/staff/applications/{case.application_id}/recommend")
    assert page.status_code == 200
    assert "Only commissioning officers make recommendations" in page.text
    assert 'name="recommendation"' not in page.text
    refused = recommend(assessor, case.application_id, version_of(app, case.application_id))
    assert "You do not have permission to make a recommendation" in error_summary(refused)
    with app.app_context():
        assert db.session.get(Application, case.application_id).recommendation is None


def test_the_application_page_links_to_assessment_instead_of_score_buttons(app, case):
    officer = signed_in(app, case.officer)
    page = officer.get(f"/staff/applications/{case.application_id}").text
    assert 'id="assessment"' in page
    for url in ("interests", "checks", "score", "recommend"):
        assert f'href="/staff/applications/{case.application_id}/{url}"' in page
    assert f'href="/staff/rounds/{case.round_id}/moderation"' in page
    assert f'href="/staff/rounds/{case.round_id}/ranking"' in page
    assert "/moves/score" not in page and "/moves/recommend" not in page
    assert f"/staff/applications/{case.application_id}/approve" in page
    assert "/moves/approve" not in page and "/moves/request_information" in page


# Due-diligence checks ------------------------------------------------------------------------


def test_an_officer_records_checks_and_can_update_them(app, case):
    officer = signed_in(app, case.officer)
    url = f"/staff/applications/{case.application_id}/checks"
    refused = post_form(
        officer, url, {"registration_result": "passed", "accounts_result": "failed"}
    )
    assert "Say why &#39;Latest accounts filed&#39; was not passed" in error_summary(refused)
    nothing = post_form(officer, url, {})
    assert "Record the result of at least one check" in error_summary(nothing)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DueDiligenceCheck)) == 0

    saved = post_form(
        officer,
        url,
        {
            "registration_result": "passed",
            "accounts_result": "failed",
            "accounts_note": "2024 accounts overdue at the Charity Commission",
        },
    )
    assert saved.status_code == 302
    assert post_form(officer, url, {"accounts_result": "passed"}).status_code == 302
    with app.app_context():
        checks = {
            c.check_key: (c.passed, c.note) for c in db.session.scalars(select(DueDiligenceCheck))
        }
    assert checks == {"registration": (True, ""), "accounts": (True, "")}
    page = officer.get(f"/staff/applications/{case.application_id}").text
    assert "2 of 5 passed" in page


def test_other_staff_see_checks_but_cannot_record_them(app, case):
    assessor = signed_in(app, case.assessor)
    url = f"/staff/applications/{case.application_id}/checks"
    page = assessor.get(url)
    assert page.status_code == 200
    assert "Only commissioning officers record due-diligence checks" in page.text
    assert "Safeguarding policy in date" in page.text
    refused = post_form(assessor, url, {"registration_result": "passed"})
    assert "Only commissioning officers record due-diligence checks" in error_summary(refused)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DueDiligenceCheck)) == 0


# The register of interests ------------------------------------------------------------------


def test_the_register_lists_your_own_interests_and_officers_see_everyones(app, case):
    assessor = signed_in(app, case.assessor)
    refused = post_form(assessor, "/staff/interests", {"organisation": "", "description": ""})
    html = error_summary(refused)
    assert "Select the organisation" in html and "Describe your interest" in html
    unknown = post_form(
        assessor, "/staff/interests", {"organisation": "999999", "description": "x"}
    )
    assert "Select the organisation" in error_summary(unknown)

    post_form(
        assessor,
        "/staff/interests",
        {"organisation": str(case.organisation_id), "description": "Trustee since 2021"},
    )
    assert "Trustee since 2021" in assessor.get("/staff/interests").text
    assert (
        "Trustee since 2021"
        not in signed_in(app, case.second_assessor).get("/staff/interests").text
    )
    assert assessor.get("/staff/interests/all").status_code == 403
    everyone = signed_in(app, case.officer).get("/staff/interests/all")
    assert everyone.status_code == 200
    assert "Trustee since 2021" in everyone.text and "Boxing after school group" in everyone.text


def test_only_your_own_current_interest_can_be_ended(app, case):
    assessor = signed_in(app, case.assessor)
    post_form(
        assessor,
        "/staff/interests",
        {"organisation": str(case.organisation_id), "description": "Trustee since 2021"},
    )
    with app.app_context():
        interest_id = db.session.scalar(select(RegisteredInterest.id))
    other = signed_in(app, case.second_assessor)
    assert (
        post_form(other, "/staff/interests/end", {"interest": str(interest_id)}).status_code == 404
    )
    assert post_form(other, "/staff/interests/end", {"interest": "nonsense"}).status_code == 404
    assert (
        post_form(assessor, "/staff/interests/end", {"interest": str(interest_id)}).status_code
        == 302
    )
    assert (
        post_form(assessor, "/staff/interests/end", {"interest": str(interest_id)}).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(RegisteredInterest, interest_id).ended_at is not None


# Not found and not allowed -------------------------------------------------------------------


def test_unknown_ids_are_not_found(app, case):
    officer = signed_in(app, case.officer)
    for page in ("interests", "checks", "score", "recommend"):
        assert officer.get(f"/staff/applications/999999/{page}").status_code == 404
    for page in ("moderation", "ranking"):
        assert officer.get(f"/staff/rounds/999999/{page}").status_code == 404


def test_applicants_cannot_use_assessment_pages(app, case):
    with app.app_context():
        application = db.session.get(Application, case.application_id)
        member = db.session.scalar(select(User).where(User.id == application.created_by_id))
    client = app.test_client()
    sign_in_as(client, member)
    for url in (
        f"/staff/applications/{case.application_id}/interests",
        f"/staff/applications/{case.application_id}/score",
        f"/staff/rounds/{case.round_id}/moderation",
        f"/staff/rounds/{case.round_id}/ranking",
        "/staff/interests",
    ):
        assert client.get(url).status_code == 403, url
