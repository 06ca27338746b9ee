CREATE TABLE membership_plans (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  annual_fee_cents INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE memberships (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  plan_id INTEGER NOT NULL REFERENCES membership_plans (id),
  starts_on TEXT NOT NULL,
  ends_on TEXT,
  CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX memberships_member_idx ON memberships (member_id);
