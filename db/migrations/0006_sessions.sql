-- Web sessions. Only the SHA-256 of the cookie's secret is kept; csrf is the token a
-- session-authenticated write must echo in X-CSRF-Token.
CREATE TABLE sessions (
  hash       BLOB PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf       TEXT NOT NULL,
  ip         TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
