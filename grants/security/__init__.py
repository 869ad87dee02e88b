"""Small, dependency-free security helpers: tokens, passwords and one-time codes."""
