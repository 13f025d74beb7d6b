-- Project activity, as GitLab's events API shows it. Pushes fill the push_* columns.
CREATE TABLE events (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  author_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
  action       TEXT NOT NULL,
  ref          TEXT NOT NULL DEFAULT '',
  ref_type     TEXT NOT NULL DEFAULT '',
  commit_from  TEXT NOT NULL DEFAULT '',
  commit_to    TEXT NOT NULL DEFAULT '',
  commit_count INTEGER NOT NULL DEFAULT 0,
  commit_title TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL
);
CREATE INDEX events_project ON events (project_id, id);
CREATE INDEX events_author ON events (author_id, id);
