-- Agent runs: an agent (built in, or a command the administrator configured) run on a
-- project's repository at a ref or a merge request, by the server's worker pool. The queue
-- is the rows in status 'queued', claimed in id order by one UPDATE each; a run is final in
-- succeeded, failed, canceled or timed_out.

CREATE TABLE agent_runs (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id        INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  agent             TEXT NOT NULL,
  -- ref is what the requester named ('' for a merge request's source); sha the commit it
  -- resolved to when the run was queued.
  ref               TEXT NOT NULL DEFAULT '',
  sha               TEXT NOT NULL DEFAULT '',
  -- merge_request_iid is 0 for runs on a ref.
  merge_request_iid INTEGER NOT NULL DEFAULT 0,
  -- params is the JSON object of the run's parameters.
  params            TEXT NOT NULL DEFAULT '{}',
  status            TEXT NOT NULL
                    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out')),
  -- reason says why a run ended as it did, for people.
  reason            TEXT NOT NULL DEFAULT '',
  -- result is the JSON the agent produced (statistics, release notes), or NULL.
  result            TEXT,
  user_id           INTEGER REFERENCES users (id) ON DELETE SET NULL,
  -- process is "PID KEY" while an external agent's command runs: its process group, and the
  -- CAIRN_RUN_KEY in its environment, by which a server started after a crash finds it and
  -- kills what is left of it.
  process           TEXT NOT NULL DEFAULT '',
  -- attempts counts the claims: a run re-queued after a restart is claimed again.
  attempts          INTEGER NOT NULL DEFAULT 0,
  finding_count     INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  started_at        INTEGER,
  finished_at       INTEGER
);
-- The queue, and the runs left running at a restart.
CREATE INDEX agent_runs_status ON agent_runs (status, id);
CREATE INDEX agent_runs_project ON agent_runs (project_id, id);

CREATE TABLE agent_run_logs (
  run_id    INTEGER PRIMARY KEY REFERENCES agent_runs (id) ON DELETE CASCADE,
  log       TEXT NOT NULL DEFAULT '',
  truncated INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE agent_findings (
  run_id   INTEGER NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
  seq      INTEGER NOT NULL,
  path     TEXT NOT NULL DEFAULT '',
  line     INTEGER NOT NULL DEFAULT 0,
  severity TEXT NOT NULL,
  rule     TEXT NOT NULL DEFAULT '',
  message  TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- A bare project name ("site") is looked up across namespaces.
CREATE INDEX projects_path_alone ON projects (path COLLATE NOCASE);
