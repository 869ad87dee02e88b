"""Use cases. Each public function opens and commits its own transaction."""
