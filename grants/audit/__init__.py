"""Finance's and auditors' view of the ledger: verify, reconcile, checkpoint, export."""
