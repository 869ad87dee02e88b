"""A Community Safety Partnership sends an annual plan instead of an application: its own
sections, no documents, and a sign-off by its responsible officer."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from grants.extensions import db
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    MonitoringReturn,
    OrganisationType,
    Place,
    Priority,
    ProgrammeKind,
    ReturnStatus,
    utcnow,
)
from grants.models.csp import CspInvitation
from tests.conftest import make_member, make_organisation, open_round, post_form, sign_in_as
from tests.integration.test_apply import add_budget_line, add_output, mark, save, submit
from tests.integration.test_returns import funded_organisation
from tests.integration.test_returns import version_on as returns_version_on
from workflows.engine import fire
from workflows.errors import GuardFailed


@pytest.fixture
def csp(ctx, client):
    round_ = open_round()
    round_.programme.kind = ProgrammeKind.CSP_ALLOCATION
    round_.programme.name = "Community Safety Partnership funding"
    round_.reference_prefix = "CSP"
    round_.invitation_only = True
    round_.min_award_pence, round_.max_award_pence = 100_000, 10_000_000
    db.session.add_all(
        [
            round_,
            Priority(code="asb", name="Anti-social behaviour"),
            Place(name="Blaby", gss_code="E07000129"),
        ]
    )
    db.session.commit()
    partnership = make_organisation(
        "Blaby Community Safety Partnership",
        org_type=OrganisationType.COMMUNITY_SAFETY_PARTNERSHIP,
    )
    user = make_member(partnership, "csp@blaby.example.gov.uk")
    # Invited to the round (tests/integration/test_csp_invitations.py covers how).
    db.session.add(
        CspInvitation(round_id=round_.id, organisation_id=partnership.id, invited_at=utcnow())
    )
    db.session.commit()
    sign_in_as(client, user)
    response = post_form(
        client, f"/funding/{round_.id}/apply", {"organisation": str(partnership.id)}
    )
    assert response.status_code == 302
    return int(re.search(r"/applications/(\d+)/tasks", response.location).group(1))


def test_the_plan_has_its_own_sections_and_no_documents(client, csp):
    page = client.get(f"/applications/{csp}/tasks").text
    for title in [
        "Your partnership",
        "Your plan",
        "Actions and their budget",
        "Outcomes",
        "Sign-off",
    ]:
        assert title in page
    assert "Documents" not in page
    assert client.get(f"/applications/{csp}/sections/documents").status_code == 404
    assert client.get(f"/applications/{csp}/sections/project").status_code == 404


def test_a_signed_off_plan_is_submitted_with_a_csp_reference(client, csp):
    answers = {
        "responsible_officer": "Priya Shah",
        "responsible_officer_role": "Community Safety Manager",
        "contact_phone": "0116 275 0555",
    }
    assert save(client, csp, "partnership", answers).status_code == 302
    plan = {
        "project_title": "Blaby CSP plan",
        "local_priorities": "Anti-social behaviour in Enderby and Narborough.",
        "priorities": "asb",
        "places": "E07000129",
        "start_date": ["1", "4", "2026"],
        "end_date": ["31", "3", "2027"],
    }
    assert save(client, csp, "plan", plan).status_code == 302
    assert add_budget_line(client, csp, "12,000", "Diversionary activity").status_code == 302
    assert mark(client, csp, "budget").status_code == 302
    assert add_output(client, csp).status_code == 302
    assert save(client, csp, "outcomes", {"outcomes": "Fewer ASB reports."}).status_code == 302
    unsigned = save(client, csp, "sign_off", {"declarant_name": "Priya Shah"})
    assert unsigned.status_code == 400
    assert "Confirm that the partnership" in unsigned.text.replace("&#39;", "'")
    sign_off = {
        "declare_agreed": "y",
        "declare_true": "y",
        "declarant_name": "Priya Shah",
        "declarant_role": "Community Safety Manager",
    }
    assert save(client, csp, "sign_off", sign_off).status_code == 302
    assert submit(client, csp).status_code == 302
    db.session.expire_all()
    plan_row = db.session.get(Application, csp)
    assert plan_row.status is ApplicationStatus.SUBMITTED
    assert plan_row.reference == "CSP-2627-0001"
    assert plan_row.answer_map["declarant_name"] == "Priya Shah"


# Quarterly returns ---------------------------------------------------------------------------


@pytest.fixture
def csp_return(ctx, client):
    world = funded_organisation(
        "Blaby Community Safety Partnership", "csp@blaby.example.gov.uk", "CSP-2627-0001-A"
    )
    world["award"].programme.kind = ProgrammeKind.CSP_ALLOCATION
    db.session.commit()
    sign_in_as(client, world["member"])
    narrative = {"narrative": "Patrols ran in Enderby every weekend.", "version": ""}
    page = f"/returns/{world['return_id']}"
    narrative["version"] = returns_version_on(client, page)
    assert post_form(client, page, {**narrative, "save": "y"}).status_code == 302
    return world


def test_a_partnership_return_needs_its_responsible_officers_sign_off(client, csp_return):
    check = f"/returns/{csp_return['return_id']}/submit"
    page = client.get(check).text
    assert "Name of the responsible officer" in page
    version = returns_version_on(client, check)
    unsigned = post_form(client, check, {"version": version})
    assert unsigned.status_code == 400
    assert "Enter the name of the responsible officer" in unsigned.text
    assert "Confirm that you are the responsible officer" in unsigned.text
    signed = post_form(
        client,
        check,
        {
            "version": version,
            "signatory": "Priya Shah",
            "signatory_role": "Community Safety Manager",
            "confirm": "y",
        },
    )
    assert signed.status_code == 302
    db.session.expire_all()
    sent = db.session.get(MonitoringReturn, csp_return["return_id"])
    assert sent.status is ReturnStatus.SUBMITTED
    assert (sent.signed_off_by, sent.signed_off_role) == ("Priya Shah", "Community Safety Manager")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "submit").order_by(AuditEvent.seq.desc())
    ).first()
    assert json.loads(event.changes)["signatory"] == "Priya Shah"


def test_a_partnership_reports_on_its_plan_not_on_a_project(client, csp_return):
    form = client.get(f"/returns/{csp_return['return_id']}").text
    assert "About the plan" in form and "How is the plan going?" in form
    assert "About the project" not in form and "How is the project going?" not in form
    check = client.get(f"/returns/{csp_return['return_id']}/submit").text
    assert "About the plan" in check and "How the plan is going" in check
    assert "About the project" not in check


def test_a_partnership_return_without_a_narrative_asks_how_the_plan_is_going(client, csp_return):
    sent = db.session.get(MonitoringReturn, csp_return["return_id"])
    sent.narrative = None
    db.session.commit()
    check = f"/returns/{csp_return['return_id']}/submit"
    signed = {
        "version": returns_version_on(client, check),
        "signatory": "Priya Shah",
        "signatory_role": "Community Safety Manager",
        "confirm": "y",
    }
    refused = post_form(client, check, signed)
    assert refused.status_code == 400
    assert "Tell us how the plan is going" in refused.text
    db.session.expire_all()
    assert db.session.get(MonitoringReturn, csp_return["return_id"]).status is ReturnStatus.OPEN


def test_the_engine_refuses_an_unsigned_partnership_return(csp_return):
    sent = db.session.get(MonitoringReturn, csp_return["return_id"])
    with pytest.raises(GuardFailed, match="responsible officer"):
        fire(csp_return["member"], sent, "submit")
