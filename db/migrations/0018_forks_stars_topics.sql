-- Forks, stars and topics of projects.

-- A fork names the project it was forked from; the link goes when that project does, as
-- GitLab unlinks the forks of a deleted project.
ALTER TABLE projects ADD COLUMN forked_from_id INTEGER REFERENCES projects (id) ON DELETE SET NULL;
CREATE INDEX projects_forked_from ON projects (forked_from_id) WHERE forked_from_id IS NOT NULL;

CREATE TABLE project_stars (
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX project_stars_user ON project_stars (user_id, project_id);

-- Topics are instance-wide; a project's topics stay in projects.topics in the order given,
-- and project_topics indexes them, so that /topics counts and filters by topic are lookups.
CREATE TABLE topics (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT NOT NULL COLLATE NOCASE UNIQUE,
  title       TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE project_topics (
  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  topic_id   INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
  PRIMARY KEY (project_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX project_topics_topic ON project_topics (topic_id, project_id);

-- The topics projects already have (newline-separated in projects.topics).
WITH RECURSIVE split(project_id, topic, rest) AS (
    SELECT id, '', topics || char(10) FROM projects WHERE topics <> ''
    UNION ALL
    SELECT project_id, substr(rest, 1, instr(rest, char(10)) - 1), substr(rest, instr(rest, char(10)) + 1)
    FROM split WHERE rest <> '')
INSERT INTO topics (name, title, created_at, updated_at)
  SELECT topic, topic, CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000
  FROM split WHERE topic <> '' GROUP BY topic COLLATE NOCASE;

WITH RECURSIVE split(project_id, topic, rest) AS (
    SELECT id, '', topics || char(10) FROM projects WHERE topics <> ''
    UNION ALL
    SELECT project_id, substr(rest, 1, instr(rest, char(10)) - 1), substr(rest, instr(rest, char(10)) + 1)
    FROM split WHERE rest <> '')
INSERT OR IGNORE INTO project_topics (project_id, topic_id)
  SELECT s.project_id, t.id FROM split s JOIN topics t ON t.name = s.topic WHERE s.topic <> '';
