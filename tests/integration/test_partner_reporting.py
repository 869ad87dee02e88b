"""A Safer Streets delivery partner sees the intervention it delivers on its award page and
reports what it has achieved against the intervention's outputs in its monitoring return; the
office's roll-up reads those figures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from grants.extensions import db
from grants.models import MonitoringReturn
from grants.models.bids import PartnerOutputReport
from grants.services import bids
from tests.conftest import make_member, post_form, sign_in_as
from tests.integration.test_bids import a_bid
from workflows.engine import create, fire


def partner_with_an_open_return(app) -> dict:
    world = a_bid()
    award = bids.issue_partner_award(
        world["officer"], world["intervention"].id, "Target hardening", {2023: 100_000}
    )
    member = make_member(world["partner"], "lucy@melton.example.org")
    monitoring_return = MonitoringReturn(
        award=award,
        period_start=dt.date(2023, 10, 1),
        period_end=dt.date(2023, 12, 31),
        due_date=dt.date(2024, 1, 31),
    )
    create(world["officer"], monitoring_return)
    fire(None, monitoring_return, "open")
    db.session.commit()
    output = world["intervention"].outputs[0]
    return {
        "award": award.id,
        "return": monitoring_return.id,
        "member": member,
        "output": output.id,
    }


def test_the_partner_sees_the_intervention_and_reports_against_its_outputs(app, ctx):
    world = partner_with_an_open_return(app)
    client = app.test_client()
    sign_in_as(client, world["member"])
    award_page = client.get(f"/awards/{world['award']}").text
    assert "You deliver" in award_page and "Target hardening, part of ASB in Melton" in award_page
    assert "Homes target-hardened" in award_page and ">100<" in award_page

    form_page = client.get(f"/returns/{world['return']}").text
    assert "You deliver “Target hardening” of ASB in Melton" in form_page
    assert f'name="achieved_{world["output"]}"' in form_page
    version = db.session.get(MonitoringReturn, world["return"]).version
    saved = post_form(
        client,
        f"/returns/{world['return']}",
        {"version": str(version), f"achieved_{world['output']}": "37", "narrative": "Going well"},
    )
    assert saved.status_code == 302
    reports = db.session.scalars(select(PartnerOutputReport)).all()
    assert [(r.intervention_output_id, r.achieved) for r in reports] == [(world["output"], 37)]

    # Changing the figure updates the one report; a bad figure changes nothing.
    version = db.session.get(MonitoringReturn, world["return"]).version
    post_form(
        client,
        f"/returns/{world['return']}",
        {"version": str(version), f"achieved_{world['output']}": "40", "narrative": "Going well"},
    )
    db.session.expire_all()
    version = db.session.get(MonitoringReturn, world["return"]).version
    refused = post_form(
        client,
        f"/returns/{world['return']}",
        {"version": str(version), f"achieved_{world['output']}": "-3", "narrative": "Going well"},
    )
    assert refused.status_code == 400
    db.session.expire_all()
    reports = db.session.scalars(select(PartnerOutputReport)).all()
    assert [(r.intervention_output_id, r.achieved) for r in reports] == [(world["output"], 40)]


def test_another_organisation_cannot_see_the_partner_return(app, ctx):
    from tests.conftest import make_organisation

    world = partner_with_an_open_return(app)
    outsider = make_member(make_organisation("Elsewhere Trust"), "someone@elsewhere.example.org")
    db.session.commit()
    client = app.test_client()
    sign_in_as(client, outsider)
    assert client.get(f"/returns/{world['return']}").status_code == 404
    assert client.get(f"/awards/{world['award']}").status_code == 404
