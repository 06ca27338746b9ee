-- Committees nest: a national committee has district committees under it.
CREATE TABLE committees (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  parent_id bigint REFERENCES committees (id) ON DELETE SET NULL,
  level text NOT NULL DEFAULT 'local',
  founded_on date
);
CREATE INDEX committees_parent_idx ON committees (parent_id);

CREATE TABLE committee_members (
  committee_id bigint NOT NULL REFERENCES committees (id) ON DELETE CASCADE,
  member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  position text NOT NULL DEFAULT 'member',
  since timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (committee_id, member_id)
);
CREATE INDEX committee_members_member_idx ON committee_members (member_id);
