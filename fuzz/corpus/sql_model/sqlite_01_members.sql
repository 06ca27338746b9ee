-- People the organisation knows about, and what they may do.
CREATE TABLE members (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL,
  full_name TEXT NOT NULL,
  phone TEXT,
  birth_date TEXT,
  joined_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  status TEXT NOT NULL DEFAULT 'active',
  CHECK (status IN ('active', 'suspended', 'left'))
);
CREATE UNIQUE INDEX members_email_key ON members (email);

CREATE TABLE roles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  description TEXT
);
CREATE UNIQUE INDEX roles_name_key ON roles (name);

CREATE TABLE member_roles (
  member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  granted_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (member_id, role_id)
);
