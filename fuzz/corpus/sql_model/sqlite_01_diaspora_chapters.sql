-- NRNA only: chapters of the diaspora organisation, by country.
CREATE TABLE diaspora_chapters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  country_code TEXT NOT NULL,
  name TEXT NOT NULL,
  coordinator_id INTEGER REFERENCES members (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX diaspora_chapters_country_key ON diaspora_chapters (country_code, name);
