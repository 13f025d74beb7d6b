-- Accounts are locked after too many failed passwords in a row, as GitLab's (Devise's
-- lockable) failed_attempts and locked_at: failed_attempts counts the failures since the last
-- successful sign-in or unlock; locked_at, when set, is when the lock began.
ALTER TABLE users ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_at INTEGER;
