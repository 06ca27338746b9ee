CREATE TABLE volunteer_shifts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  role text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  slots integer NOT NULL DEFAULT 1,
  CHECK (ends_at > starts_at)
);
CREATE INDEX volunteer_shifts_event_idx ON volunteer_shifts (event_id);

CREATE TABLE volunteer_assignments (
  shift_id bigint NOT NULL REFERENCES volunteer_shifts (id) ON DELETE CASCADE,
  member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  PRIMARY KEY (shift_id, member_id)
);
