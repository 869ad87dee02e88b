"""Find funding: anyone can see the open rounds and check, one question a page, whether they can
apply before they create an account; a "no" that rules them out says why."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from html import unescape

import pytest

from forms.eligibility import missing_answer_message
from grants.demo.eligibility import add_eligibility_questions
from grants.extensions import db
from grants.models import EligibilityQuestion, Priority, Round, utcnow
from tests.conftest import make_member, make_organisation, open_round, post_form, sign_in_as

LEICESTER = "Is your organisation based in, or working in, Leicester, Leicestershire or Rutland?"
NOT_IN_AREA = (
    "The Prevention Fund is only for groups working in Leicester, Leicestershire or Rutland."
)
PROFIT = "Does your organisation make a profit for its owners?"
FOR_PROFIT = "Businesses run for profit cannot apply."
FINISHED = "Will your project be finished by 31 March 2027?"
TOO_LONG = "Grants from this round must be spent by 31 March 2027."
SLUGS = itertools.count(1)


def add_round(round_: Round, questions: list[EligibilityQuestion] | None = None) -> int:
    # open_round() gives every round its own programme, and programme slugs are unique.
    round_.programme.slug = f"pf-{next(SLUGS)}"
    round_.eligibility_questions.extend(questions or [])
    db.session.add(round_)
    db.session.commit()
    return round_.id


def prevention_questions() -> list[EligibilityQuestion]:
    """Three questions at positions with gaps, and one where "No" is the eligible answer."""
    return [
        EligibilityQuestion(
            position=10,
            question=LEICESTER,
            hint="Groups based elsewhere can apply for work with people who live here.",
            eligible_answer=True,
            ineligible_reason=NOT_IN_AREA,
        ),
        EligibilityQuestion(
            position=20, question=PROFIT, eligible_answer=False, ineligible_reason=FOR_PROFIT
        ),
        EligibilityQuestion(
            position=30, question=FINISHED, eligible_answer=True, ineligible_reason=TOO_LONG
        ),
    ]


@pytest.fixture
def round_id(app) -> int:
    with app.app_context():
        round_ = open_round()
        round_.name = "Commissioner's community grants 2026/27"
        round_.who_can_apply = (
            "Voluntary and community groups in Leicester, Leicestershire or Rutland."
        )
        round_.programme.summary = "Grants for grassroots groups."
        round_.programme.priorities = [
            Priority(code="knife-crime", name="Knife crime and serious violence"),
            Priority(code="youth-diversion", name="Youth diversion and early intervention"),
        ]
        return add_round(round_, prevention_questions())


def closed_round(app, name: str = "Round 0") -> int:
    with app.app_context():
        round_ = open_round()
        round_.name = name
        round_.closes_at = utcnow() - dt.timedelta(days=1)
        return add_round(round_, prevention_questions())


def main_text(response) -> str:
    """The page's main content as text, so assertions are not fooled by markup or the footer."""
    page = response.get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def answer(client, round_id: int, position: int, value: str | None):
    url = f"/funding/{round_id}/eligibility/{position}"
    return post_form(client, url, {} if value is None else {"answer": value})


# The list of open rounds ----------------------------------------------------------------------


def test_the_list_shows_each_open_round_and_links_to_its_page(app, client, round_id):
    response = client.get("/funding")
    assert response.status_code == 200
    text = main_text(response)
    assert "Prevention Fund: Commissioner's community grants 2026/27" in text
    assert "Voluntary and community groups in Leicester, Leicestershire or Rutland." in text
    assert "£500 to £25,000" in text
    assert "Knife crime and serious violence" in text
    assert "Youth diversion and early intervention" in text
    assert f'href="/funding/{round_id}"' in response.get_data(as_text=True)


def test_the_list_leaves_out_invitation_only_closed_and_future_rounds(app, client, round_id):
    with app.app_context():
        csp = open_round()
        csp.name = "CSP annual plans"
        csp.invitation_only = True
        future = open_round()
        future.name = "Next year's round"
        future.opens_at = utcnow() + dt.timedelta(days=5)
        future.closes_at = utcnow() + dt.timedelta(days=40)
        add_round(csp)
        add_round(future)
    closed_round(app, "Last year's round")
    text = main_text(client.get("/funding"))
    assert "Commissioner's community grants 2026/27" in text
    assert "CSP annual plans" not in text
    assert "Next year's round" not in text
    assert "Last year's round" not in text
    assert "1 funding round is open" in text


def test_the_round_closing_soonest_comes_first(app, client, round_id):
    with app.app_context():
        sooner = open_round()
        sooner.name = "Knife crime grants"
        sooner.closes_at = utcnow() + dt.timedelta(days=3)
        add_round(sooner)
    text = main_text(client.get("/funding"))
    assert text.index("Knife crime grants") < text.index("Commissioner's community grants")


def test_with_nothing_open_the_list_says_so(client):
    response = client.get("/funding")
    assert response.status_code == 200
    assert "There is no funding open for applications at the moment." in main_text(response)


def test_times_are_shown_in_london_time_whether_gmt_or_bst(app, client):
    with app.app_context():
        round_ = open_round()
        round_.opens_at = dt.datetime(2020, 1, 6, 9, 0, tzinfo=dt.UTC)  # GMT: 9am in London
        round_.closes_at = dt.datetime(2040, 7, 16, 16, 0, tzinfo=dt.UTC)  # BST: 5pm in London
        round_id = add_round(round_)
    for url in ("/funding", f"/funding/{round_id}"):
        text = main_text(client.get(url))
        assert "6 January 2020 at 9am" in text, url
        assert "16 July 2040 at 5pm" in text, url
        assert "4pm" not in text, url


def test_the_start_page_links_to_find_funding_and_to_each_round(client, round_id):
    html = client.get("/").get_data(as_text=True)
    assert '<a class="govuk-link" href="/funding">Find funding</a>' in html
    assert f'href="/funding/{round_id}"' in html


# A round's page -------------------------------------------------------------------------------


def test_a_round_page_shows_its_details_and_starts_the_check(client, round_id):
    response = client.get(f"/funding/{round_id}")
    assert response.status_code == 200
    text = main_text(response)
    assert "Commissioner's community grants 2026/27" in text
    assert "Grants for grassroots groups." in text
    assert "Voluntary and community groups in Leicester, Leicestershire or Rutland." in text
    assert "£500 to £25,000" in text
    assert "Knife crime and serious violence" in text
    assert "Answer 3 short questions" in text
    # The check starts at the first question, whatever its position number.
    html = response.get_data(as_text=True)
    assert re.search(
        rf'href="/funding/{round_id}/eligibility/10"[^>]*>\s*Check if you can apply', html
    )


def test_a_round_without_questions_goes_straight_to_you_can_apply(app, client):
    with app.app_context():
        round_id = add_round(open_round())
    html = client.get(f"/funding/{round_id}").get_data(as_text=True)
    assert re.search(rf'href="/funding/{round_id}/eligible"[^>]*>\s*Check if you can apply', html)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/eligibility/10",
        "/eligible",
        "/not-eligible/10",
    ],
)
def test_invitation_only_unknown_and_future_rounds_are_not_found(app, client, path):
    with app.app_context():
        csp = open_round()
        csp.invitation_only = True
        future = open_round()
        future.opens_at = utcnow() + dt.timedelta(days=1)
        hidden = [add_round(csp, prevention_questions()), add_round(future, prevention_questions())]
    for round_id in [*hidden, 999_999]:
        assert client.get(f"/funding/{round_id}{path}").status_code == 404, (round_id, path)


def test_answers_to_an_invitation_only_round_are_not_found(app, client, round_id):
    with app.app_context():
        csp = open_round()
        csp.invitation_only = True
        csp_id = add_round(csp, prevention_questions())
    # The token comes from a public round's page: the refusal is the round's, not the form's.
    response = post_form(
        client,
        f"/funding/{csp_id}/eligibility/10",
        {"answer": "yes"},
        token_from=f"/funding/{round_id}/eligibility/10",
    )
    assert response.status_code == 404


def test_a_closed_round_says_so_and_offers_no_way_to_apply(app, client):
    round_id = closed_round(app)
    response = client.get(f"/funding/{round_id}")
    assert response.status_code == 200
    text = main_text(response)
    html = response.get_data(as_text=True)
    assert "This round is closed" in text
    assert "Check if you can apply" not in text
    assert f"/funding/{round_id}/eligib" not in html
    assert f"/funding/{round_id}/apply" not in html
    assert 'href="/funding"' in html


def test_every_step_of_a_closed_rounds_check_leads_back_to_its_page(app, client, round_id):
    closed_id = closed_round(app)
    for path in ("/eligibility/10", "/eligible", "/not-eligible/10"):
        response = client.get(f"/funding/{closed_id}{path}")
        assert response.status_code == 303, path
        assert response.location == f"/funding/{closed_id}"
    response = post_form(
        client,
        f"/funding/{closed_id}/eligibility/10",
        {"answer": "yes"},
        token_from=f"/funding/{round_id}/eligibility/10",
    )
    assert response.status_code == 303
    assert response.location == f"/funding/{closed_id}"


# One question a page --------------------------------------------------------------------------


def test_a_question_page_asks_one_question_with_yes_and_no(client, round_id):
    response = client.get(f"/funding/{round_id}/eligibility/10")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The question is the page's heading, inside the fieldset's legend.
    assert re.search(r'<legend[^>]*>\s*<h1 class="govuk-fieldset__heading">.*Leicester', html, re.S)
    assert "Groups based elsewhere can apply for work with people who live here." in html
    assert "govuk-radios--inline" in html
    assert re.findall(r'type="radio" value="(\w+)"', html) == ["yes", "no"]
    assert f"<title>{LEICESTER} " in html
    # Back to the round's page from the first question, to the previous one after that.
    assert f'href="/funding/{round_id}" class="govuk-back-link"' in html
    later = client.get(f"/funding/{round_id}/eligibility/20").get_data(as_text=True)
    assert f'href="/funding/{round_id}/eligibility/10" class="govuk-back-link"' in later


def test_no_answer_is_a_problem_the_error_summary_names(client, round_id):
    response = answer(client, round_id, 10, None)
    assert response.status_code == 400
    text = main_text(response)
    assert "There is a problem" in text
    message = (
        "Select yes if your organisation is based in, or working in, Leicester, "
        "Leicestershire or Rutland"
    )
    assert text.count(message) == 2  # in the summary and by the radios
    html = response.get_data(as_text=True)
    assert f'<a href="#answer">{message}</a>' in html
    assert "<title>Error: " in html


def test_an_answer_that_is_neither_yes_nor_no_gets_the_same_message(client, round_id):
    response = answer(client, round_id, 10, "maybe")
    assert response.status_code == 400
    text = main_text(response)
    assert "There is a problem" in text
    assert "Select yes if your organisation is based in, or working in, Leicester" in text
    assert "Not a valid choice" not in text


def test_eligible_answers_lead_question_by_question_to_you_can_apply(client, round_id):
    response = answer(client, round_id, 10, "yes")
    assert response.status_code == 302
    assert response.location == f"/funding/{round_id}/eligibility/20"
    # Here "No" is the eligible answer.
    response = answer(client, round_id, 20, "no")
    assert response.location == f"/funding/{round_id}/eligibility/30"
    response = answer(client, round_id, 30, "yes")
    assert response.location == f"/funding/{round_id}/eligible"


@pytest.mark.parametrize(
    ("position", "value", "reason"),
    [(10, "no", NOT_IN_AREA), (20, "yes", FOR_PROFIT), (30, "no", TOO_LONG)],
)
def test_an_ineligible_answer_explains_why(client, round_id, position, value, reason):
    response = answer(client, round_id, position, value)
    assert response.status_code == 302
    assert response.location == f"/funding/{round_id}/not-eligible/{position}"
    page = client.get(response.location)
    assert page.status_code == 200
    text = main_text(page)
    assert "You cannot apply for this funding" in text
    assert reason in text
    html = page.get_data(as_text=True)
    assert '<a class="govuk-link" href="/funding">' in html
    assert f'href="/funding/{round_id}/eligibility/{position}"' in html
    assert f"/funding/{round_id}/apply" not in html


def test_unknown_question_positions_are_not_found(client, round_id):
    for position in (0, 11, 40):
        assert client.get(f"/funding/{round_id}/eligibility/{position}").status_code == 404
        assert client.get(f"/funding/{round_id}/not-eligible/{position}").status_code == 404
    response = post_form(
        client,
        f"/funding/{round_id}/eligibility/11",
        {"answer": "yes"},
        token_from=f"/funding/{round_id}/eligibility/10",
    )
    assert response.status_code == 404


def test_a_reason_is_shown_as_text_never_as_markup(app, client):
    with app.app_context():
        round_id = add_round(
            open_round(),
            [
                EligibilityQuestion(
                    position=1,
                    question="Are you <b>sure</b>?",
                    ineligible_reason='<a href="https://example.com">Not you</a>',
                )
            ],
        )
    html = client.get(f"/funding/{round_id}/not-eligible/1").get_data(as_text=True)
    assert "&lt;a href=&#34;https://example.com&#34;&gt;Not you&lt;/a&gt;" in html
    assert "&lt;b&gt;sure&lt;/b&gt;" in client.get(f"/funding/{round_id}/eligibility/1").text


# You can apply ------------------------------------------------------------------------------


def test_you_can_apply_says_what_is_needed_and_starts_the_application(client, round_id):
    response = client.get(f"/funding/{round_id}/eligible")
    assert response.status_code == 200
    text = main_text(response)
    assert "You can apply" in text
    for needed in (
        "your organisation's details",
        "what your project will do",
        "a budget",
        "what your project will deliver",
        "your constitution",
        "your safeguarding policy",
        "a recent bank statement",
        # The round's short-form threshold is £10,000: accounts only above it.
        "your latest annual accounts, if you are asking for more than £10,000",
        "How long it takes",
        "You can save your application and come back to it later",
        "If you do not have an account, you will be asked to create one",
    ):
        assert needed in text, needed
    html = response.get_data(as_text=True)
    assert re.search(rf'href="/funding/{round_id}/apply"[^>]*>\s*Start your application', html)
    assert f'href="/funding/{round_id}/eligibility/30" class="govuk-back-link"' in html


@pytest.mark.parametrize(
    ("threshold", "expected", "absent"),
    [
        (0, "your latest annual accounts", "if you are asking for more than"),
        (2_500_000, None, "annual accounts"),
    ],
)
def test_accounts_are_asked_for_only_when_the_round_needs_them(
    app, client, threshold, expected, absent
):
    with app.app_context():
        round_ = open_round()
        round_.short_form_threshold_pence = threshold
        round_id = add_round(round_)
    text = main_text(client.get(f"/funding/{round_id}/eligible"))
    if expected:
        assert expected in text
    assert absent not in text


def test_starting_the_application_signed_out_asks_you_to_sign_in_first(client, round_id):
    response = client.get(f"/funding/{round_id}/apply")
    assert response.status_code == 302
    assert response.location == f"/sign-in?next=/funding/{round_id}/apply"


def test_the_pages_are_the_same_for_someone_signed_in(app, client, round_id):
    with app.app_context():
        member = make_member(make_organisation())
    sign_in_as(client, member)
    assert client.get("/funding").status_code == 200
    assert answer(client, round_id, 10, "no").location.endswith("/not-eligible/10")


# The error message for a missing answer -----------------------------------------------------


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (LEICESTER, "Select yes if your organisation is based in, or working in, Leicester, "
         "Leicestershire or Rutland"),
        ("Are you over 18?", "Select yes if you are over 18"),
        ("Will your project be finished by 31 March 2027?",
         "Select yes if your project will be finished by 31 March 2027"),
        ("Does your organisation have a bank account in its own name?",
         "Select yes if your organisation has a bank account in its own name"),
        ("Do you have a safeguarding policy?", "Select yes if you have a safeguarding policy"),
        # Shapes whose subject cannot be found safely get the plain message.
        ("Is your organisation's annual income under £250,000?", "Select yes or no"),
        (PROFIT, "Select yes or no"),
        ("Tick yes if you agree", "Select yes or no"),
    ],
)  # fmt: skip
def test_a_missing_answer_message_says_select_yes_if_it_is_true(question, message):
    assert missing_answer_message(question) == message


# The demo round's questions -----------------------------------------------------------------


def test_the_demo_questions_can_be_walked_to_you_can_apply_and_each_says_why_not(app, client):
    with app.app_context():
        round_ = open_round()
        round_.financial_year = 2026
        round_.eligibility_questions.append(
            EligibilityQuestion(position=1, question="Are you ready?", ineligible_reason="Wait.")
        )
        add_eligibility_questions(round_)
        round_id = add_round(round_)
        questions = [
            (q.position, q.question, q.hint, q.eligible_answer, q.ineligible_reason)
            for q in round_.eligibility_questions
        ]
    # Appended after the question the round already had, each with a hint and a reason.
    assert [q[0] for q in questions] == [1, 2, 3, 4, 5]
    demo = questions[1:]
    assert demo[0][1] == LEICESTER
    assert demo[-1][1] == "Will your project be finished by 31 March 2027?"
    assert all(hint and reason for _, _, hint, _, reason in demo)

    url = f"/funding/{round_id}/eligibility/1"
    for position, question, _, eligible_answer, reason in questions:
        assert url == f"/funding/{round_id}/eligibility/{position}"
        page = client.get(url)
        assert page.status_code == 200
        assert question in main_text(page)
        # A missing answer gets the GOV.UK "Select yes if ..." message, not the fallback.
        assert "Select yes if" in main_text(answer(client, round_id, position, None))
        wrong = answer(client, round_id, position, "no" if eligible_answer else "yes")
        assert reason in main_text(client.get(wrong.location))
        url = answer(client, round_id, position, "yes" if eligible_answer else "no").location
    assert url == f"/funding/{round_id}/eligible"
    assert "You can apply" in main_text(client.get(url))
