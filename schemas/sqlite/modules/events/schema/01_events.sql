CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  committee_id INTEGER REFERENCES committees (id) ON DELETE SET NULL,
  title TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT,
  venue TEXT
);
CREATE INDEX events_starts_idx ON events (starts_at);

CREATE TABLE event_registrations (
  event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  registered_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (event_id, member_id)
);
