-- Merge requests: a source branch proposed for merging into a target branch of the same
-- project. Their notes and label links live in notes and label_links (0007) under the type
-- 'MergeRequest'; iids come from the same scheme as issues' (kind 'merge_requests').
--
-- head_sha is the source branch's tip as last seen, target_sha the target's, base_sha their
-- merge base: the diff of a merge request is base_sha..head_sha. They are refreshed when
-- either branch moves, which also resets merge_status to 'unchecked'; the check (a merge
-- done in memory) fills merge_status, has_conflicts and changes_count again.
CREATE TABLE merge_requests (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id           INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  iid                  INTEGER NOT NULL,
  title                TEXT NOT NULL,
  description          TEXT NOT NULL DEFAULT '',
  state                TEXT NOT NULL DEFAULT 'opened' CHECK (state IN ('opened', 'closed', 'merged', 'locked')),
  author_id            INTEGER REFERENCES users (id) ON DELETE SET NULL,
  source_branch        TEXT NOT NULL,
  target_branch        TEXT NOT NULL,
  draft                INTEGER NOT NULL DEFAULT 0,
  squash               INTEGER NOT NULL DEFAULT 0,
  remove_source_branch INTEGER NOT NULL DEFAULT 0,
  head_sha             TEXT NOT NULL DEFAULT '',
  target_sha           TEXT NOT NULL DEFAULT '',
  base_sha             TEXT NOT NULL DEFAULT '',
  merge_status         TEXT NOT NULL DEFAULT 'unchecked',
  has_conflicts        INTEGER NOT NULL DEFAULT 0,
  changes_count        INTEGER,
  merge_commit_sha     TEXT,
  squash_commit_sha    TEXT,
  merge_error          TEXT,
  merged_by_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
  merged_at            INTEGER,
  closed_by_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
  closed_at            INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  UNIQUE (project_id, iid)
);
CREATE INDEX merge_requests_project_created ON merge_requests (project_id, created_at, id);
CREATE INDEX merge_requests_project_updated ON merge_requests (project_id, updated_at, id);
CREATE INDEX merge_requests_author ON merge_requests (author_id, created_at, id);
-- The open merge requests of a branch, found when the branch moves.
CREATE INDEX merge_requests_open_source ON merge_requests (project_id, source_branch) WHERE state = 'opened';
CREATE INDEX merge_requests_open_target ON merge_requests (project_id, target_branch) WHERE state = 'opened';

-- Assignees and reviewers.
CREATE TABLE merge_request_users (
  merge_request_id INTEGER NOT NULL REFERENCES merge_requests (id) ON DELETE CASCADE,
  user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role             TEXT NOT NULL CHECK (role IN ('assignee', 'reviewer')),
  PRIMARY KEY (merge_request_id, role, user_id)
) WITHOUT ROWID;
CREATE INDEX merge_request_users_user ON merge_request_users (user_id, role, merge_request_id);

CREATE TRIGGER merge_requests_delete_dependents AFTER DELETE ON merge_requests BEGIN
  DELETE FROM notes WHERE noteable_type = 'MergeRequest' AND noteable_id = OLD.id;
  DELETE FROM label_links WHERE target_type = 'MergeRequest' AND target_id = OLD.id;
END;
