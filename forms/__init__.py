"""Flask-WTF forms, grouped by journey, rendered with GOV.UK Frontend widgets."""
