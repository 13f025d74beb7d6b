-- Delivery records: environments, the deployments made to them (with the commits each
-- shipped and the log of the server's deploy command), and releases (with the commits each
-- shipped). DORA's figures are read from these: a year of daily figures is one range scan of
-- a project's successful deployments by finish time, joined on primary keys.

CREATE TABLE environments (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  -- slug is the name made safe for URLs and DNS, fixed at creation.
  slug         TEXT NOT NULL,
  tier         TEXT NOT NULL DEFAULT 'other'
               CHECK (tier IN ('production', 'staging', 'testing', 'development', 'other')),
  external_url TEXT,
  description  TEXT NOT NULL DEFAULT '',
  state        TEXT NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'stopped')),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (project_id, name),
  UNIQUE (project_id, slug)
);

CREATE TABLE deployments (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id     INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  iid            INTEGER NOT NULL,
  environment_id INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  ref            TEXT NOT NULL,
  sha            TEXT NOT NULL,
  tag            INTEGER NOT NULL DEFAULT 0,
  status         TEXT NOT NULL
                 CHECK (status IN ('created', 'queued', 'running', 'success', 'failed', 'canceled')),
  user_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
  -- variables is a JSON object of names to values, handed to the deploy command.
  variables      TEXT NOT NULL DEFAULT '{}',
  -- runner is 1 when the server's deploy command for the environment runs the deployment,
  -- and moves its status; 0 when clients move it through the API.
  runner         INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  -- When the deployment entered queued, running and a final state; NULL until it did.
  queued_at      INTEGER,
  started_at     INTEGER,
  finished_at    INTEGER,
  UNIQUE (project_id, iid)
);
-- A project's list in id order (the index carries the rowid), and by creation or update.
CREATE INDEX deployments_project ON deployments (project_id);
CREATE INDEX deployments_project_created ON deployments (project_id, created_at);
CREATE INDEX deployments_project_updated ON deployments (project_id, updated_at);
-- DORA's scan (a project's successful deployments by finish time) and the previous successful
-- deployment of an environment, which bounds what a new one shipped.
CREATE INDEX deployments_project_finished ON deployments (project_id, status, finished_at);
CREATE INDEX deployments_environment_finished ON deployments (environment_id, status, finished_at);
-- The deploy runner's work: the deployments it runs, by status (its queue is 'queued').
CREATE INDEX deployments_runner ON deployments (status, id) WHERE runner = 1;

-- The commits a successful deployment shipped: reachable from its sha and not from the sha
-- of the environment's previous successful deployment (bounded; see forge). Lead time for
-- changes is the deployment's finished_at minus a commit's time. A row is written once the
-- deployment succeeded, so it carries the deployment's project, environment and finish time:
-- a project's lead times over a period are one range of deployment_commits_lead_time, which
-- holds every column the scan reads.
CREATE TABLE deployment_commits (
  deployment_id  INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  sha            TEXT NOT NULL,
  authored_at    INTEGER NOT NULL,
  committed_at   INTEGER NOT NULL,
  project_id     INTEGER NOT NULL,
  environment_id INTEGER NOT NULL,
  finished_at    INTEGER NOT NULL,
  PRIMARY KEY (deployment_id, sha)
) WITHOUT ROWID;
CREATE INDEX deployment_commits_lead_time
  ON deployment_commits (project_id, finished_at, environment_id, committed_at, authored_at);

-- The output of the deploy command, bounded in size (forge stops appending at its limit).
CREATE TABLE deployment_logs (
  deployment_id INTEGER PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
  log           TEXT NOT NULL DEFAULT '',
  truncated     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE releases (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  -- tag_name is '' for releases recorded without a tag (GitClear's).
  tag_name    TEXT NOT NULL DEFAULT '',
  name        TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  -- sha is '' for a release recorded by its time alone.
  sha         TEXT NOT NULL DEFAULT '',
  released_at INTEGER NOT NULL,
  author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX releases_project_tag ON releases (project_id, tag_name) WHERE tag_name <> '';
CREATE INDEX releases_project_released ON releases (project_id, released_at);
CREATE INDEX releases_project_created ON releases (project_id, created_at);
CREATE INDEX releases_project_sha ON releases (project_id, sha) WHERE sha <> '';

-- The commits a release shipped: reachable from its sha and not from the sha of the release
-- before it (by release time), as for deployments.
CREATE TABLE release_commits (
  release_id   INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  sha          TEXT NOT NULL,
  authored_at  INTEGER NOT NULL,
  committed_at INTEGER NOT NULL,
  PRIMARY KEY (release_id, sha)
) WITHOUT ROWID;
