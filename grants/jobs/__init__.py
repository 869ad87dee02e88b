"""Background work: follow-up jobs recorded in the outbox with the change that needs them, run
after commit (in-process in the embedded default, on RQ workers when REDIS_URL is set)."""
