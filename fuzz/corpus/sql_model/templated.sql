CREATE TABLE settings (id INTEGER PRIMARY KEY, currency TEXT DEFAULT {{ tenant.vars.currency | sql_literal }});
CREATE VIEW v AS SELECT id FROM settings WHERE currency <> 'x';
{% if tenant.labels.tier == "enterprise" %}CREATE INDEX settings_currency ON settings (currency);{% endif %}
