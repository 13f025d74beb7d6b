-- Deleted users leave a tombstone, so that a repeated DELETE by an administrator succeeds
-- (DELETE is idempotent) while an id that never was a user stays unknown. User ids are never
-- handed out twice (AUTOINCREMENT), so the id alone names the user that was; nothing else of
-- the user is kept.
CREATE TABLE deleted_users (
  id         INTEGER PRIMARY KEY,
  deleted_by INTEGER,
  deleted_at INTEGER NOT NULL
);
