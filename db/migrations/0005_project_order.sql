-- Project lists are ordered by creation time by default; without this, every page sorts.
CREATE INDEX projects_created ON projects (created_at, id);
