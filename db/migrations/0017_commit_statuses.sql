-- Commit statuses that external systems (CI servers, bots) report for commits, and the
-- external pipelines that group them. As in GitLab, every status belongs to a pipeline of its
-- commit and ref, made by the first status reported there; a pipeline's status is the
-- summary of its statuses, kept here so that a commit's summary is one row.
CREATE TABLE pipelines (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  iid        INTEGER NOT NULL,
  sha        TEXT NOT NULL,
  ref        TEXT NOT NULL,
  status     TEXT NOT NULL,
  source     TEXT NOT NULL DEFAULT 'external',
  user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, iid)
);
-- A commit's pipelines, newest first.
CREATE INDEX pipelines_sha ON pipelines (project_id, sha, id);

-- A status reported again under the same name while it is pending or running moves that
-- status; once finished, a new one is made and the older ones are marked retried, so that
-- a list shows the latest per name unless asked for all.
CREATE TABLE commit_statuses (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  sha         TEXT NOT NULL,
  ref         TEXT NOT NULL,
  name        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('created', 'pending', 'running', 'success', 'failed', 'canceled', 'skipped')),
  target_url  TEXT,
  description TEXT,
  coverage    REAL,
  author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  retried     INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER
);
CREATE INDEX commit_statuses_pipeline ON commit_statuses (pipeline_id, name, id);
CREATE INDEX commit_statuses_sha ON commit_statuses (project_id, sha, id);

-- Comments on commits (GitLab's commit comments: notes on a commit, optionally on a line of
-- one of its files).
CREATE TABLE commit_comments (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  sha        TEXT NOT NULL,
  author_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
  note       TEXT NOT NULL,
  path       TEXT,
  line       INTEGER,
  line_type  TEXT CHECK (line_type IN ('new', 'old')),
  created_at INTEGER NOT NULL
);
CREATE INDEX commit_comments_sha ON commit_comments (project_id, sha, id);
