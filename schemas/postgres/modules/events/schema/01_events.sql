CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  committee_id bigint REFERENCES committees (id) ON DELETE SET NULL,
  title text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz,
  venue text,
  details jsonb
);
CREATE INDEX events_starts_idx ON events (starts_at);

CREATE TABLE event_registrations (
  event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  registered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, member_id)
);
