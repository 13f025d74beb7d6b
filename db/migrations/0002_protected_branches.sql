-- Protected branches: who may push, merge and unprotect, and whether force-pushes are allowed.
-- name may be a wildcard pattern such as "release-*".
CREATE TABLE protected_branches (
  id                     INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id             INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name                   TEXT NOT NULL,
  push_access_level      INTEGER NOT NULL DEFAULT 40,
  merge_access_level     INTEGER NOT NULL DEFAULT 40,
  unprotect_access_level INTEGER NOT NULL DEFAULT 40,
  allow_force_push       INTEGER NOT NULL DEFAULT 0,
  created_at             INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
