-- Committees nest: a national committee has district committees under it.
CREATE TABLE committees (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(200) NOT NULL,
  parent_id BIGINT UNSIGNED,
  level ENUM('national', 'district', 'local') NOT NULL DEFAULT 'local',
  founded_on DATE,
  PRIMARY KEY (id),
  KEY committees_parent_idx (parent_id),
  CONSTRAINT committees_parent_fk FOREIGN KEY (parent_id) REFERENCES committees (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE committee_members (
  committee_id BIGINT UNSIGNED NOT NULL,
  member_id BIGINT UNSIGNED NOT NULL,
  position VARCHAR(40) NOT NULL DEFAULT 'member',
  since DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (committee_id, member_id),
  KEY committee_members_member_idx (member_id),
  CONSTRAINT committee_members_committee_fk FOREIGN KEY (committee_id) REFERENCES committees (id) ON DELETE CASCADE,
  CONSTRAINT committee_members_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
