-- NRNA only: chapters of the diaspora organisation, by country.
CREATE TABLE diaspora_chapters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  country_code char(2) NOT NULL,
  name text NOT NULL,
  coordinator_id bigint REFERENCES members (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX diaspora_chapters_country_key ON diaspora_chapters (country_code, name);
