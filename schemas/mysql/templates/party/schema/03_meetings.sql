CREATE TABLE meetings (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  committee_id BIGINT UNSIGNED NOT NULL,
  title VARCHAR(200) NOT NULL,
  starts_at DATETIME(6) NOT NULL,
  location VARCHAR(200),
  minutes TEXT,
  PRIMARY KEY (id),
  KEY meetings_committee_starts_idx (committee_id, starts_at),
  CONSTRAINT meetings_committee_fk FOREIGN KEY (committee_id) REFERENCES committees (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE meeting_attendance (
  meeting_id BIGINT UNSIGNED NOT NULL,
  member_id BIGINT UNSIGNED NOT NULL,
  present BOOLEAN NOT NULL DEFAULT TRUE,
  PRIMARY KEY (meeting_id, member_id),
  KEY meeting_attendance_member_idx (member_id),
  CONSTRAINT meeting_attendance_meeting_fk FOREIGN KEY (meeting_id) REFERENCES meetings (id) ON DELETE CASCADE,
  CONSTRAINT meeting_attendance_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
