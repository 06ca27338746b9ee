CREATE TABLE meetings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  committee_id INTEGER NOT NULL REFERENCES committees (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  location TEXT,
  minutes TEXT
);
CREATE INDEX meetings_committee_starts_idx ON meetings (committee_id, starts_at);

CREATE TABLE meeting_attendance (
  meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  present INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (meeting_id, member_id)
);
