-- Issues, their notes and labels. Notes and label links are shared with merge requests: they
-- name what they hang on by (type, id), with type 'Issue' or 'MergeRequest', and a trigger on
-- each such table removes them with their target (project deletion cascades through
-- project_id and labels).

-- An iid is allocated in the INSERT of its row as one more than the project's highest, so
-- that it is gapless under the single writer at no extra statement. Deleting the newest row
-- would let its iid come back; iid_floors keeps, per project and kind ('issues',
-- 'merge_requests'), the highest deleted one, and allocation stays above it.
CREATE TABLE iid_floors (
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  kind       TEXT NOT NULL,
  last_iid   INTEGER NOT NULL,
  PRIMARY KEY (project_id, kind)
) WITHOUT ROWID;

CREATE TABLE issues (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  iid          INTEGER NOT NULL,
  title        TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  state        TEXT NOT NULL DEFAULT 'opened' CHECK (state IN ('opened', 'closed')),
  author_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
  confidential INTEGER NOT NULL DEFAULT 0,
  -- due_date is a calendar date, 'YYYY-MM-DD', so that it sorts as text.
  due_date     TEXT,
  closed_by_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
  closed_at    INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (project_id, iid)
);
-- A project's list is ordered by creation (default) or update time, newest first.
CREATE INDEX issues_project_created ON issues (project_id, created_at, id);
CREATE INDEX issues_project_updated ON issues (project_id, updated_at, id);
CREATE INDEX issues_author ON issues (author_id, created_at, id);
-- The few confidential issues, for counting those a viewer wrote or is assigned.
CREATE INDEX issues_confidential ON issues (project_id, state, author_id) WHERE confidential = 1;

-- How many issues each project has by state and confidentiality, kept by the triggers below,
-- so that a list's X-Total does not count a project's issues one by one.
CREATE TABLE issue_counts (
  project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  state        TEXT NOT NULL,
  confidential INTEGER NOT NULL,
  n            INTEGER NOT NULL,
  PRIMARY KEY (project_id, state, confidential)
) WITHOUT ROWID;

CREATE TRIGGER issues_count_insert AFTER INSERT ON issues BEGIN
  INSERT INTO issue_counts (project_id, state, confidential, n)
    VALUES (NEW.project_id, NEW.state, NEW.confidential, 1)
    ON CONFLICT (project_id, state, confidential) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER issues_count_delete AFTER DELETE ON issues BEGIN
  UPDATE issue_counts SET n = n - 1
    WHERE project_id = OLD.project_id AND state = OLD.state AND confidential = OLD.confidential;
END;

CREATE TRIGGER issues_count_update AFTER UPDATE OF state, confidential ON issues
  WHEN OLD.state IS NOT NEW.state OR OLD.confidential IS NOT NEW.confidential BEGIN
  UPDATE issue_counts SET n = n - 1
    WHERE project_id = OLD.project_id AND state = OLD.state AND confidential = OLD.confidential;
  INSERT INTO issue_counts (project_id, state, confidential, n)
    VALUES (NEW.project_id, NEW.state, NEW.confidential, 1)
    ON CONFLICT (project_id, state, confidential) DO UPDATE SET n = n + 1;
END;

CREATE TABLE issue_assignees (
  issue_id INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (issue_id, user_id)
) WITHOUT ROWID;
CREATE INDEX issue_assignees_user ON issue_assignees (user_id, issue_id);

-- Comments and system notes ("closed", "added ~bug label") on issues and merge requests.
-- noteable_iid is the target's iid, kept so that a note renders without reading its target.
CREATE TABLE notes (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  noteable_type TEXT NOT NULL CHECK (noteable_type IN ('Issue', 'MergeRequest')),
  noteable_id   INTEGER NOT NULL,
  noteable_iid  INTEGER NOT NULL,
  author_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
  body          TEXT NOT NULL,
  system        INTEGER NOT NULL DEFAULT 0,
  internal      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX notes_noteable ON notes (noteable_type, noteable_id, created_at, id);

CREATE TABLE labels (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  color       TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  priority    INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE label_links (
  target_type TEXT NOT NULL CHECK (target_type IN ('Issue', 'MergeRequest')),
  target_id   INTEGER NOT NULL,
  label_id    INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
  PRIMARY KEY (target_type, target_id, label_id)
) WITHOUT ROWID;
CREATE INDEX label_links_label ON label_links (label_id, target_type, target_id);

CREATE TRIGGER issues_delete_dependents AFTER DELETE ON issues BEGIN
  DELETE FROM notes WHERE noteable_type = 'Issue' AND noteable_id = OLD.id;
  DELETE FROM label_links WHERE target_type = 'Issue' AND target_id = OLD.id;
END;
