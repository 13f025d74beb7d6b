-- Events of issues, merge requests and notes name their target, as GitLab's events API does:
-- target_type is Issue, MergeRequest or Note, with its id, iid (a note's: that of what it is
-- on) and title; a note's event also names what it is on (noteable_type and noteable_id), so
-- that events of confidential issues can be left out for those who may not see them.
ALTER TABLE events ADD COLUMN target_type TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN target_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN target_iid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN target_title TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN noteable_type TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN noteable_id INTEGER NOT NULL DEFAULT 0;

-- An issue records its opening itself, in the statement that inserts it: issue creation
-- stays one lone INSERT (a transaction around the two would halve its rate), and the event
-- is never missing nor left behind.
CREATE TRIGGER issue_opened_event AFTER INSERT ON issues BEGIN
  INSERT INTO events (project_id, author_id, action, target_type, target_id, target_iid, target_title, created_at)
  VALUES (NEW.project_id, NEW.author_id, 'opened', 'Issue', NEW.id, NEW.iid, NEW.title, NEW.created_at);
END;
