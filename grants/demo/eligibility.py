"""The Prevention Fund's eligibility questions, answered before anyone creates an account.

They follow the fund as the office describes it: grassroots groups across Leicester,
Leicestershire and Rutland, not run for profit (a group need not be a registered charity), paid
into the group's own bank account, and spending a grant within the round's financial year.
"""

from __future__ import annotations

from grants.demo.dates import financial_year_label
from grants.models import EligibilityQuestion, Round


def add_eligibility_questions(round_: Round) -> None:
    """Append the Prevention Fund's questions after any the round already asks."""
    year_end = f"31 March {round_.financial_year + 1}"
    year = financial_year_label(round_.financial_year)
    questions = [
        (
            "Is your organisation based in, or working in, Leicester, Leicestershire or Rutland?",
            "This includes groups based elsewhere whose project is for people who live here.",
            True,
            "The Prevention Fund is for groups based in, or working in, Leicester, "
            "Leicestershire or Rutland. The Police and Crime Commissioner can only fund work "
            "in the area they serve.",
        ),
        (
            "Is your organisation run not for profit?",
            "For example a community group, club, charity, community interest company or "
            "faith group. You do not need to be a registered charity.",
            True,
            "The Prevention Fund is for voluntary and community groups, charities, community "
            "interest companies and clubs. Businesses run for profit and individuals cannot "
            "apply.",
        ),
        (
            "Does your organisation have a bank account in its own name?",
            "We can only pay grants into an account in the organisation's name, not into a "
            "personal account.",
            True,
            "Grants are only paid into a bank account in the organisation's own name. Once "
            "your organisation has one, you can apply.",
        ),
        (
            f"Will your project be finished by {year_end}?",
            f"Grants from this round are for the {year} financial year, which ends on {year_end}.",
            True,
            f"Grants from this round must be spent by {year_end}, the end of the {year} "
            "financial year. Projects that run longer can apply to a later round.",
        ),
    ]
    start = max((q.position for q in round_.eligibility_questions), default=0) + 1
    for offset, (question, hint, eligible_answer, reason) in enumerate(questions):
        round_.eligibility_questions.append(
            EligibilityQuestion(
                position=start + offset,
                question=question,
                hint=hint,
                eligible_answer=eligible_answer,
                ineligible_reason=reason,
            )
        )
