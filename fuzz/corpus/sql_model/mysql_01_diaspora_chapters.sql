-- NRNA only: chapters of the diaspora organisation, by country.
CREATE TABLE diaspora_chapters (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  country_code CHAR(2) NOT NULL,
  name VARCHAR(200) NOT NULL,
  coordinator_id BIGINT UNSIGNED,
  PRIMARY KEY (id),
  UNIQUE KEY diaspora_chapters_country_key (country_code, name),
  KEY diaspora_chapters_coordinator_idx (coordinator_id),
  CONSTRAINT diaspora_chapters_coordinator_fk FOREIGN KEY (coordinator_id) REFERENCES members (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
