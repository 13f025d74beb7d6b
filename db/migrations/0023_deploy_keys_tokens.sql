-- Deploy keys (SSH keys giving access to projects, not users) and deploy tokens (secrets
-- for git over HTTP, for one project or a group's projects).

CREATE TABLE deploy_keys (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  title              TEXT NOT NULL,
  key                TEXT NOT NULL,
  fingerprint_sha256 TEXT NOT NULL UNIQUE,
  fingerprint_md5    TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  expires_at         INTEGER
);

CREATE TABLE deploy_keys_projects (
  deploy_key_id INTEGER NOT NULL REFERENCES deploy_keys (id) ON DELETE CASCADE,
  project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  can_push      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (deploy_key_id, project_id)
) WITHOUT ROWID;
CREATE INDEX deploy_keys_projects_project ON deploy_keys_projects (project_id, deploy_key_id);

-- Only the SHA-256 of a deploy token's secret is kept, as for personal tokens.
CREATE TABLE deploy_tokens (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
  group_id   INTEGER REFERENCES namespaces (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  username   TEXT NOT NULL,
  hash       BLOB NOT NULL UNIQUE,
  scopes     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  CHECK ((project_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX deploy_tokens_project ON deploy_tokens (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX deploy_tokens_group ON deploy_tokens (group_id) WHERE group_id IS NOT NULL;
