-- Emoji awarded to issues, merge requests and notes, as GitLab's award emoji: one per user,
-- name and awardable. An awardable is an issue, a merge request or a note, so it has no
-- foreign key: its awards go with it by the triggers below, and with its project by
-- project_id. A deleted user's awards pass to the Ghost User (ghost = 1), who may hold the
-- same award many times, as in GitLab; a hard deletion takes them along.
CREATE TABLE award_emoji (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id     INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  awardable_type TEXT NOT NULL CHECK (awardable_type IN ('Issue', 'MergeRequest', 'Note')),
  awardable_id   INTEGER NOT NULL,
  user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  ghost          INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX award_emoji_awardable ON award_emoji (awardable_type, awardable_id, name);
CREATE UNIQUE INDEX award_emoji_once ON award_emoji (awardable_type, awardable_id, name, user_id) WHERE ghost = 0;
CREATE INDEX award_emoji_user ON award_emoji (user_id);

CREATE TRIGGER issues_delete_award_emoji AFTER DELETE ON issues BEGIN
  DELETE FROM award_emoji WHERE awardable_type = 'Issue' AND awardable_id = OLD.id;
END;
CREATE TRIGGER merge_requests_delete_award_emoji AFTER DELETE ON merge_requests BEGIN
  DELETE FROM award_emoji WHERE awardable_type = 'MergeRequest' AND awardable_id = OLD.id;
END;
CREATE TRIGGER notes_delete_award_emoji AFTER DELETE ON notes BEGIN
  DELETE FROM award_emoji WHERE awardable_type = 'Note' AND awardable_id = OLD.id;
END;
