-- Critical defects (GitClear's API) and the fixes released for them.

-- A defect is owned by the most specific resource it was recorded at: a namespace (a user's or
-- a group) or a project; exactly one of namespace_id and project_id is set. Its key is the
-- caller's ("JIRA-123") and is unique within the top-level namespace above the owner (GitClear's
-- entity), so that a defect recorded at an entity or a group is found again by a call that
-- records its fix at one of the repositories below. Namespaces do not move between roots, so
-- root_namespace_id never changes.
CREATE TABLE critical_defects (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  root_namespace_id INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
  namespace_id      INTEGER REFERENCES namespaces (id) ON DELETE CASCADE,
  project_id        INTEGER REFERENCES projects (id) ON DELETE CASCADE,
  defect_key        TEXT NOT NULL,
  description       TEXT NOT NULL DEFAULT '',
  severity          INTEGER,
  detected_at       INTEGER NOT NULL,
  -- resolved_at is the latest fix's released_at, NULL while there is no fix; the triggers
  -- below keep it, so that DORA reads one row per defect.
  resolved_at       INTEGER,
  author_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  CHECK ((namespace_id IS NULL) <> (project_id IS NULL)),
  UNIQUE (root_namespace_id, defect_key)
);
-- DORA lists an owner's defects detected in a range of time.
CREATE INDEX critical_defects_project_detected ON critical_defects (project_id, detected_at, id)
  WHERE project_id IS NOT NULL;
CREATE INDEX critical_defects_namespace_detected ON critical_defects (namespace_id, detected_at, id)
  WHERE namespace_id IS NOT NULL;

-- A fix released for a defect in one project: a commit of its repository, a time, or both.
-- sha is '' when the fix named only a time. A fix is not recorded twice: one per
-- (defect, project, sha) when a sha is given, one per (defect, project, time) otherwise.
CREATE TABLE critical_defect_fixes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  defect_id   INTEGER NOT NULL REFERENCES critical_defects (id) ON DELETE CASCADE,
  project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  sha         TEXT NOT NULL DEFAULT '',
  released_at INTEGER NOT NULL,
  author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX critical_defect_fixes_sha ON critical_defect_fixes (defect_id, project_id, sha)
  WHERE sha <> '';
CREATE UNIQUE INDEX critical_defect_fixes_time ON critical_defect_fixes (defect_id, project_id, released_at)
  WHERE sha = '';
CREATE INDEX critical_defect_fixes_project ON critical_defect_fixes (project_id, released_at);

CREATE TRIGGER critical_defect_fixes_insert AFTER INSERT ON critical_defect_fixes BEGIN
  UPDATE critical_defects SET resolved_at =
    (SELECT MAX(released_at) FROM critical_defect_fixes WHERE defect_id = NEW.defect_id)
    WHERE id = NEW.defect_id;
END;

CREATE TRIGGER critical_defect_fixes_update AFTER UPDATE OF released_at ON critical_defect_fixes BEGIN
  UPDATE critical_defects SET resolved_at =
    (SELECT MAX(released_at) FROM critical_defect_fixes WHERE defect_id = NEW.defect_id)
    WHERE id = NEW.defect_id;
END;

-- A fix goes when its project is deleted; the defect is then resolved at its other fixes.
CREATE TRIGGER critical_defect_fixes_delete AFTER DELETE ON critical_defect_fixes BEGIN
  UPDATE critical_defects SET resolved_at =
    (SELECT MAX(released_at) FROM critical_defect_fixes WHERE defect_id = OLD.defect_id)
    WHERE id = OLD.defect_id;
END;
