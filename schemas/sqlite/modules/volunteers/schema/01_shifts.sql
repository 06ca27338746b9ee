CREATE TABLE volunteer_shifts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  slots INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX volunteer_shifts_event_idx ON volunteer_shifts (event_id);

CREATE TABLE volunteer_assignments (
  shift_id INTEGER NOT NULL REFERENCES volunteer_shifts (id) ON DELETE CASCADE,
  member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  PRIMARY KEY (shift_id, member_id)
);
