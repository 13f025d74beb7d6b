-- Deleted groups leave a tombstone, so that a repeated DELETE by someone who could have
-- deleted the group succeeds (DELETE is idempotent) while others still get 404.
CREATE TABLE deleted_namespaces (
  id         INTEGER PRIMARY KEY,
  full_path  TEXT NOT NULL COLLATE NOCASE,
  parent_id  INTEGER,
  deleted_by INTEGER,
  deleted_at INTEGER NOT NULL
);
