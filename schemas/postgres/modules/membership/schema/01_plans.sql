CREATE TABLE membership_plans (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  annual_fee_cents bigint NOT NULL DEFAULT 0,
  active boolean NOT NULL DEFAULT true
);

CREATE TABLE memberships (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  plan_id bigint NOT NULL REFERENCES membership_plans (id),
  starts_on date NOT NULL,
  ends_on date,
  CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX memberships_member_idx ON memberships (member_id);
