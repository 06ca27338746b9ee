CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  goal_cents INTEGER,
  starts_on TEXT,
  ends_on TEXT
);

-- The currency default is the tenant's own: one migration serves every tenant.
CREATE TABLE donations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id INTEGER REFERENCES members (id) ON DELETE SET NULL,
  campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
  amount_cents INTEGER NOT NULL,
  currency TEXT NOT NULL DEFAULT {{ tenant.vars.currency | sql_literal }},
  received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CHECK (amount_cents > 0)
);
CREATE INDEX donations_member_idx ON donations (member_id);
CREATE INDEX donations_campaign_idx ON donations (campaign_id);
