-- Inserted once when a tenant is provisioned.
INSERT INTO roles (name, description) VALUES
  ('admin', 'Manages the organisation''s account'),
  ('secretary', 'Keeps minutes and the member register'),
  ('treasurer', 'Looks after money');
