-- A critical defect's key is unique within its owner (a user's namespace, a group or a
-- project), no longer within the top-level namespace above it. Keys shared by a whole tree let a
-- call at one project find, and change, a defect of a sibling project its caller may not even
-- see. A call now finds a defect at the owner it names or at a namespace above it (forge walks
-- up), never at a sibling or below.
--
-- SQLite cannot drop a table constraint, so both tables are rebuilt. Migrations run in one
-- transaction with foreign keys on, where DROP TABLE deletes its rows first and would cascade:
-- the fixes are copied to a table that refers to the new defects before either old table goes.
-- Triggers and indexes go with their tables and are made again below.

CREATE TABLE critical_defects_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace_id INTEGER REFERENCES namespaces (id) ON DELETE CASCADE,
  project_id   INTEGER REFERENCES projects (id) ON DELETE CASCADE,
  defect_key   TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  severity     INTEGER,
  detected_at  INTEGER NOT NULL,
  -- resolved_at is the latest fix's released_at, NULL while there is no fix; the triggers
  -- below keep it, so that DORA reads one row per defect.
  resolved_at  INTEGER,
  author_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  CHECK ((namespace_id IS NULL) <> (project_id IS NULL))
);
INSERT INTO critical_defects_new (id, namespace_id, project_id, defect_key, description, severity, detected_at,
    resolved_at, author_id, created_at, updated_at)
  SELECT id, namespace_id, project_id, defect_key, description, severity, detected_at,
    resolved_at, author_id, created_at, updated_at FROM critical_defects;

CREATE TABLE critical_defect_fixes_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  defect_id    INTEGER NOT NULL REFERENCES critical_defects_new (id) ON DELETE CASCADE,
  project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  sha          TEXT NOT NULL DEFAULT '',
  released_at  INTEGER NOT NULL,
  author_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL
);
INSERT INTO critical_defect_fixes_new (id, defect_id, project_id, sha, released_at, author_id, created_at)
  SELECT id, defect_id, project_id, sha, released_at, author_id, created_at FROM critical_defect_fixes;

DROP TABLE critical_defect_fixes;
DROP TABLE critical_defects;
-- Renaming also rewrites the fixes' reference to critical_defects_new.
ALTER TABLE critical_defects_new RENAME TO critical_defects;
ALTER TABLE critical_defect_fixes_new RENAME TO critical_defect_fixes;

-- One key per owner; a call looks a key up at each owner from the one it names upwards.
CREATE UNIQUE INDEX critical_defects_project_key ON critical_defects (project_id, defect_key)
  WHERE project_id IS NOT NULL;
CREATE UNIQUE INDEX critical_defects_namespace_key ON critical_defects (namespace_id, defect_key)
  WHERE namespace_id IS NOT NULL;

-- As in 0009 and 0011.
CREATE INDEX critical_defects_project_detected ON critical_defects (project_id, detected_at, id)
  WHERE project_id IS NOT NULL;
CREATE INDEX critical_defects_namespace_detected ON critical_defects (namespace_id, detected_at, id)
  WHERE namespace_id IS NOT NULL;
CREATE INDEX critical_defects_project_resolved ON critical_defects (project_id, resolved_at, detected_at)
  WHERE project_id IS NOT NULL AND resolved_at IS NOT NULL;
CREATE INDEX critical_defects_namespace_resolved ON critical_defects (namespace_id, resolved_at, detected_at)
  WHERE namespace_id IS NOT NULL AND resolved_at IS NOT NULL;

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

CREATE TRIGGER critical_defect_fixes_delete AFTER DELETE ON critical_defect_fixes BEGIN
  UPDATE critical_defects SET resolved_at =
    (SELECT MAX(released_at) FROM critical_defect_fixes WHERE defect_id = OLD.defect_id)
    WHERE id = OLD.defect_id;
END;
