-- Messages administrators broadcast to every user (a banner or a notification), shown between
-- starts_at and ends_at.
CREATE TABLE broadcast_messages (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  message              TEXT NOT NULL,
  starts_at            INTEGER NOT NULL,
  ends_at              INTEGER NOT NULL,
  color                TEXT NOT NULL DEFAULT '',
  font                 TEXT NOT NULL DEFAULT '',
  target_access_levels TEXT NOT NULL DEFAULT '',
  target_path          TEXT NOT NULL DEFAULT '',
  broadcast_type       TEXT NOT NULL DEFAULT 'banner' CHECK (broadcast_type IN ('banner', 'notification')),
  dismissable          INTEGER NOT NULL DEFAULT 0,
  theme                TEXT NOT NULL DEFAULT 'indigo',
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
