-- People the organisation knows about, and what they may do.
CREATE TYPE member_status AS ENUM ('active', 'suspended', 'left');

CREATE TABLE members (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL,
  full_name text NOT NULL,
  phone text,
  birth_date date,
  joined_at timestamptz NOT NULL DEFAULT now(),
  status member_status NOT NULL DEFAULT 'active',
  preferences jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX members_email_key ON members (email);

-- Keeps updated_at true whatever writes the row.
CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER members_touch_updated_at BEFORE UPDATE ON members
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE roles (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  description text
);
CREATE UNIQUE INDEX roles_name_key ON roles (name);

CREATE TABLE member_roles (
  member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  role_id bigint NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (member_id, role_id)
);
