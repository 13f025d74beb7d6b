-- Users' SSH and GPG public keys.

-- An SSH key is known instance-wide by its SHA-256 fingerprint: one key, one owner.
CREATE TABLE ssh_keys (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title              TEXT NOT NULL,
  key                TEXT NOT NULL,
  fingerprint_sha256 TEXT NOT NULL UNIQUE,
  fingerprint_md5    TEXT NOT NULL,
  usage_type         TEXT NOT NULL DEFAULT 'auth_and_signing' CHECK (usage_type IN ('auth', 'signing', 'auth_and_signing')),
  created_at         INTEGER NOT NULL,
  expires_at         INTEGER,
  last_used_at       INTEGER
);
CREATE INDEX ssh_keys_user ON ssh_keys (user_id, id);

-- A GPG key is known by its primary key's fingerprint; subkey_ids and emails (newline
-- separated) are what commit signatures are matched against.
CREATE TABLE gpg_keys (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key            TEXT NOT NULL,
  primary_keyid  TEXT NOT NULL,
  fingerprint    TEXT NOT NULL UNIQUE,
  subkey_ids     TEXT NOT NULL DEFAULT '',
  emails         TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL
);
CREATE INDEX gpg_keys_user ON gpg_keys (user_id, id);
CREATE INDEX gpg_keys_keyid ON gpg_keys (primary_keyid);
