"""Database layer: engine and session factory, the schema, and its migrations."""
