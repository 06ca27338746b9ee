CREATE TABLE volunteer_shifts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_id BIGINT UNSIGNED NOT NULL,
  role VARCHAR(100) NOT NULL,
  starts_at DATETIME(6) NOT NULL,
  ends_at DATETIME(6) NOT NULL,
  slots INT NOT NULL DEFAULT 1,
  PRIMARY KEY (id),
  KEY volunteer_shifts_event_idx (event_id),
  CONSTRAINT volunteer_shifts_event_fk FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE volunteer_assignments (
  shift_id BIGINT UNSIGNED NOT NULL,
  member_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (shift_id, member_id),
  KEY volunteer_assignments_member_idx (member_id),
  CONSTRAINT volunteer_assignments_shift_fk FOREIGN KEY (shift_id) REFERENCES volunteer_shifts (id) ON DELETE CASCADE,
  CONSTRAINT volunteer_assignments_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
