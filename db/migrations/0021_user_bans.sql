-- A banned user is a blocked one whose ban is recorded: users.state keeps 'blocked' (its
-- CHECK predates bans), and reads show the state as 'banned'.
ALTER TABLE users ADD COLUMN banned_at INTEGER;
