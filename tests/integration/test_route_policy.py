"""Deny by default: every route declares who may use it, and undeclared routes are refused."""

from flask import Blueprint

from grants.policy import PUBLIC, rule_for
from grants.web import BUILTIN_PUBLIC_ENDPOINTS


def test_every_route_declares_a_policy(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in BUILTIN_PUBLIC_ENDPOINTS
        and rule_for(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == [], f"routes without @allow(...): {undeclared}"


def test_public_routes_are_the_expected_few(app):
    public = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in BUILTIN_PUBLIC_ENDPOINTS
        and rule_for(app.view_functions[rule.endpoint]) is PUBLIC
    )
    # A new public route is a security decision: add it here deliberately.
    assert public == sorted(
        [
            "/",
            "/accessibility",
            "/cookies",
            # The public decisions register and its open data (#8).
            "/decisions",
            "/decisions.json",
            "/decisions/<reference>",
            "/decisions/360giving.json",
            "/decisions/360giving.csv",
            "/healthz",
            "/demo/outbox",
            "/sign-in",
            "/sign-in/check-your-email",
            "/sign-in/link/<token>",
            "/sign-in/password",
            "/sign-in/code",
            "/register",
            "/account/setup/<token>",
            "/invitations/<token>",
            "/signed-out",
            # Finding funding and checking eligibility need no account (issue #5).
            "/funding",
            "/funding/<int:round_id>",
            "/funding/<int:round_id>/eligibility/<int:position>",
            "/funding/<int:round_id>/not-eligible/<int:position>",
            "/funding/<int:round_id>/eligible",
        ]
    )


def test_a_route_without_a_declaration_is_refused(tmp_path):
    from grants import create_app

    app = create_app(
        overrides={"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"},
        env={},
        instance_path=str(tmp_path),
    )
    forgotten = Blueprint("forgotten", __name__)

    @forgotten.get("/forgotten")
    def forgotten_view() -> str:
        return "secret"

    app.register_blueprint(forgotten)
    response = app.test_client().get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)
