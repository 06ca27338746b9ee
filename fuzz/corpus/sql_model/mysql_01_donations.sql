CREATE TABLE campaigns (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(200) NOT NULL,
  goal_cents BIGINT,
  starts_on DATE,
  ends_on DATE,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The currency default is the tenant's own: one migration serves every tenant.
CREATE TABLE donations (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  member_id BIGINT UNSIGNED,
  campaign_id BIGINT UNSIGNED,
  amount_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL DEFAULT {{ tenant.vars.currency | sql_literal }},
  received_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY donations_member_idx (member_id),
  KEY donations_campaign_idx (campaign_id),
  CONSTRAINT donations_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE SET NULL,
  CONSTRAINT donations_campaign_fk FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE SET NULL,
  CONSTRAINT donations_amount_positive CHECK (amount_cents > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
