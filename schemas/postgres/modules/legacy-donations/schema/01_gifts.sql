CREATE TABLE gifts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  donor_name text NOT NULL,
  amount_cents bigint NOT NULL,
  given_on date NOT NULL
);
