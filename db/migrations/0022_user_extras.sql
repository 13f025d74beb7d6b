-- What users keep beside their profile: secondary emails, a status, identities from other
-- providers; and the custom attributes administrators put on users, groups and projects.

CREATE TABLE user_emails (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email        TEXT NOT NULL COLLATE NOCASE UNIQUE,
  confirmed_at INTEGER,
  created_at   INTEGER NOT NULL
);
CREATE INDEX user_emails_user ON user_emails (user_id, id);

CREATE TABLE user_statuses (
  user_id         INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  emoji           TEXT NOT NULL DEFAULT '',
  message         TEXT NOT NULL DEFAULT '',
  availability    TEXT NOT NULL DEFAULT 'not_set' CHECK (availability IN ('not_set', 'busy')),
  clear_status_at INTEGER
) WITHOUT ROWID;

CREATE TABLE identities (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider   TEXT NOT NULL,
  extern_uid TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, provider),
  UNIQUE (provider, extern_uid)
) WITHOUT ROWID;

CREATE TABLE custom_attributes (
  kind      TEXT NOT NULL CHECK (kind IN ('user', 'group', 'project')),
  target_id INTEGER NOT NULL,
  key       TEXT NOT NULL,
  value     TEXT NOT NULL,
  PRIMARY KEY (kind, target_id, key)
) WITHOUT ROWID;

CREATE TRIGGER users_delete_custom_attributes AFTER DELETE ON users BEGIN
  DELETE FROM custom_attributes WHERE kind = 'user' AND target_id = OLD.id;
END;
CREATE TRIGGER namespaces_delete_custom_attributes AFTER DELETE ON namespaces WHEN OLD.kind = 'group' BEGIN
  DELETE FROM custom_attributes WHERE kind = 'group' AND target_id = OLD.id;
END;
CREATE TRIGGER projects_delete_custom_attributes AFTER DELETE ON projects BEGIN
  DELETE FROM custom_attributes WHERE kind = 'project' AND target_id = OLD.id;
END;
