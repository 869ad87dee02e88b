"""Document storage: the DocumentStore interface and its S3-compatible and local backends."""
