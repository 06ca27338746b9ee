CREATE TABLE events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  committee_id BIGINT UNSIGNED,
  title VARCHAR(200) NOT NULL,
  starts_at DATETIME(6) NOT NULL,
  ends_at DATETIME(6),
  venue VARCHAR(200),
  PRIMARY KEY (id),
  KEY events_starts_idx (starts_at),
  KEY events_committee_idx (committee_id),
  CONSTRAINT events_committee_fk FOREIGN KEY (committee_id) REFERENCES committees (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE event_registrations (
  event_id BIGINT UNSIGNED NOT NULL,
  member_id BIGINT UNSIGNED NOT NULL,
  registered_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (event_id, member_id),
  KEY event_registrations_member_idx (member_id),
  CONSTRAINT event_registrations_event_fk FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE,
  CONSTRAINT event_registrations_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
