CREATE TABLE meetings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  committee_id bigint NOT NULL REFERENCES committees (id) ON DELETE CASCADE,
  title text NOT NULL,
  starts_at timestamptz NOT NULL,
  location text,
  minutes text
);
CREATE INDEX meetings_committee_starts_idx ON meetings (committee_id, starts_at);

CREATE TABLE meeting_attendance (
  meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  present boolean NOT NULL DEFAULT true,
  PRIMARY KEY (meeting_id, member_id)
);
