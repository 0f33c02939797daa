"""The class's own handwriting: collected on Draw, kept in SQLite (store), taken out and back
(transfer), measured and taught to a model (teach)."""
