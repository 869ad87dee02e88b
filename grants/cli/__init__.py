"""``flask`` commands: users, demo data."""

from flask import Flask


def register_commands(app: Flask) -> None:
    from grants.cli.audit import audit
    from grants.cli.demo import demo
    from grants.cli.jobs import jobs, scheduler, worker
    from grants.cli.maintenance import maintenance
    from grants.cli.users import users
    from grants.cli.workflows import workflows

    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(maintenance)
    app.cli.add_command(audit)
    app.cli.add_command(workflows)
    app.cli.add_command(jobs)
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)
