CREATE TABLE campaigns (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  goal_cents bigint,
  starts_on date,
  ends_on date
);

-- The currency default is the tenant's own: one migration serves every tenant.
CREATE TABLE donations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  member_id bigint REFERENCES members (id) ON DELETE SET NULL,
  campaign_id bigint REFERENCES campaigns (id) ON DELETE SET NULL,
  amount_cents bigint NOT NULL,
  currency text NOT NULL DEFAULT {{ tenant.vars.currency | sql_literal }},
  received_at timestamptz NOT NULL DEFAULT now(),
  CHECK (amount_cents > 0)
);
CREATE INDEX donations_member_idx ON donations (member_id);
CREATE INDEX donations_campaign_idx ON donations (campaign_id);
