-- Accounts, namespaces, projects, memberships, tokens, audit log.
-- Times are Unix milliseconds; NULL means "never" or "not set".

CREATE TABLE users (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  username         TEXT NOT NULL COLLATE NOCASE UNIQUE,
  email            TEXT NOT NULL COLLATE NOCASE UNIQUE,
  name             TEXT NOT NULL,
  password_hash    TEXT NOT NULL DEFAULT '',
  is_admin         INTEGER NOT NULL DEFAULT 0,
  state            TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'blocked')),
  bio              TEXT NOT NULL DEFAULT '',
  external         INTEGER NOT NULL DEFAULT 0,
  can_create_group INTEGER NOT NULL DEFAULT 1,
  projects_limit   INTEGER NOT NULL DEFAULT 100000,
  plan             TEXT NOT NULL DEFAULT '',
  rate_per_minute  INTEGER NOT NULL DEFAULT 0,
  rate_burst       INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  last_sign_in_at  INTEGER,
  last_activity_at INTEGER
);

-- A namespace is a user's personal space or a group; groups nest through parent_id.
-- full_path ("a/b/c") and full_name ("A / B / C") are kept denormalised so that lookups by
-- path are one index probe and lists need no walk up the tree.
CREATE TABLE namespaces (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL CHECK (kind IN ('user', 'group')),
  name        TEXT NOT NULL,
  path        TEXT NOT NULL,
  full_path   TEXT NOT NULL COLLATE NOCASE UNIQUE,
  full_name   TEXT NOT NULL,
  parent_id   INTEGER REFERENCES namespaces (id) ON DELETE CASCADE,
  owner_id    INTEGER UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  visibility  TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'internal', 'public')),
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  CHECK ((kind = 'user') = (owner_id IS NOT NULL))
);
CREATE INDEX namespaces_parent ON namespaces (parent_id);

CREATE TABLE projects (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace_id     INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
  name             TEXT NOT NULL,
  path             TEXT NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  visibility       TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'internal', 'public')),
  default_branch   TEXT NOT NULL DEFAULT 'main',
  creator_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
  archived         INTEGER NOT NULL DEFAULT 0,
  empty_repo       INTEGER NOT NULL DEFAULT 1,
  topics           TEXT NOT NULL DEFAULT '',
  merge_method     TEXT NOT NULL DEFAULT 'merge',
  squash_option    TEXT NOT NULL DEFAULT 'default_off',
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX projects_path ON projects (namespace_id, path COLLATE NOCASE);
CREATE UNIQUE INDEX projects_name ON projects (namespace_id, name COLLATE NOCASE);
CREATE INDEX projects_visibility ON projects (visibility);

-- Deleted projects leave a tombstone, so that a repeated DELETE by someone who could have
-- deleted the project succeeds (DELETE is idempotent) while others still get 404.
CREATE TABLE deleted_projects (
  id           INTEGER PRIMARY KEY,
  namespace_id INTEGER NOT NULL,
  full_path    TEXT NOT NULL COLLATE NOCASE,
  deleted_by   INTEGER,
  deleted_at   INTEGER NOT NULL
);

CREATE TABLE group_members (
  namespace_id INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
  user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  access_level INTEGER NOT NULL CHECK (access_level IN (5, 10, 20, 30, 40, 50)),
  expires_at   INTEGER,
  created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (namespace_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE project_members (
  project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  access_level INTEGER NOT NULL CHECK (access_level IN (5, 10, 20, 30, 40, 50)),
  expires_at   INTEGER,
  created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX project_members_user ON project_members (user_id);

-- Personal access tokens. Only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  hash          BLOB NOT NULL UNIQUE,
  scopes        TEXT NOT NULL,
  impersonation INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER,
  last_used_at  INTEGER,
  revoked_at    INTEGER,
  rotated_from  INTEGER REFERENCES tokens (id) ON DELETE SET NULL
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE audit_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at  INTEGER NOT NULL,
  actor_id    INTEGER,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL DEFAULT '',
  target_id   INTEGER,
  ip          TEXT NOT NULL DEFAULT '',
  details     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_created ON audit_events (created_at);

-- Instance-wide settings and facts, such as whether the first start has happened.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
