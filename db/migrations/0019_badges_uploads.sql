-- Badges of projects and groups, and uploaded files: Markdown attachments and avatars.

CREATE TABLE badges (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  source_kind TEXT NOT NULL CHECK (source_kind IN ('project', 'group')),
  source_id   INTEGER NOT NULL,
  name        TEXT NOT NULL DEFAULT '',
  link_url    TEXT NOT NULL,
  image_url   TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX badges_source ON badges (source_kind, source_id, id);

CREATE TRIGGER projects_delete_badges AFTER DELETE ON projects BEGIN
  DELETE FROM badges WHERE source_kind = 'project' AND source_id = OLD.id;
END;
CREATE TRIGGER namespaces_delete_badges AFTER DELETE ON namespaces BEGIN
  DELETE FROM badges WHERE source_kind = 'group' AND source_id = OLD.id;
END;

-- An upload's bytes are stored once per content (uploads/<sha256> in the data directory);
-- a row names them under a secret and a file name, for one model: a project's attachment,
-- or the avatar of a project, a group or a user.
CREATE TABLE uploads (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  model_kind   TEXT NOT NULL CHECK (model_kind IN ('project', 'group', 'user')),
  model_id     INTEGER NOT NULL,
  purpose      TEXT NOT NULL CHECK (purpose IN ('attachment', 'avatar')),
  secret       TEXT NOT NULL,
  filename     TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  size         INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  uploaded_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX uploads_model ON uploads (model_kind, model_id, purpose, id);
CREATE UNIQUE INDEX uploads_secret ON uploads (secret);

CREATE TRIGGER projects_delete_uploads AFTER DELETE ON projects BEGIN
  DELETE FROM uploads WHERE model_kind = 'project' AND model_id = OLD.id;
END;
CREATE TRIGGER namespaces_delete_uploads AFTER DELETE ON namespaces WHEN OLD.kind = 'group' BEGIN
  DELETE FROM uploads WHERE model_kind = 'group' AND model_id = OLD.id;
END;
CREATE TRIGGER users_delete_uploads AFTER DELETE ON users BEGIN
  DELETE FROM uploads WHERE model_kind = 'user' AND model_id = OLD.id;
END;
