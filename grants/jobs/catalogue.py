"""Every module that registers a job handler or task kind, imported once by create_app (in web
processes and workers alike).

Not imported from the registry or the outbox: some handlers use services, and the workflow
engine reaches the outbox, so importing them there would make the workflow layer depend on the
services above it (import-linter checks this).
"""

from grants.jobs import (  # noqa: F401  (imported for what they register)
    agreements,
    audit_tasks,
    csp_emails,
    dossier_tasks,
    emails,
    export_tasks,
    publish_tasks,
    reminders,
    scanning,
    tasks,
)
