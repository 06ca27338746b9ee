-- Committees nest: a national committee has district committees under it.
CREATE TABLE committees (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  parent_id INTEGER REFERENCES committees (id) ON DELETE SET NULL,
  level TEXT NOT NULL DEFAULT 'local',
  founded_on TEXT
);
CREATE INDEX committees_parent_idx ON committees (parent_id);

CREATE TABLE committee_members (
  committee_id INTEGER NOT NULL REFERENCES committees (id) ON DELETE CASCADE,
  member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  position TEXT NOT NULL DEFAULT 'member',
  since TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (committee_id, member_id)
);
CREATE INDEX committee_members_member_idx ON committee_members (member_id);
