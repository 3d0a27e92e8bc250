package backup

import "testing"

// fixtureDDL builds, as the tenant role, a schema with the features and
// types a logical backup most easily gets wrong.
const fixtureDDL = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'it''s "complicated"');
CREATE DOMAIN positive_amount AS numeric(30,10) CHECK (VALUE > 0);
CREATE SEQUENCE invoice_numbers START 1000 INCREMENT 7;
SELECT nextval('invoice_numbers'), nextval('invoice_numbers');
CREATE TABLE accounts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uid       uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    name      text COLLATE "C" NOT NULL,
    balance   numeric(40,20),
    big       numeric,
    active    boolean NOT NULL DEFAULT true,
    opened_at timestamptz NOT NULL DEFAULT now(),
    tags      text[],
    scores    int[],
    grid      int[][],
    profile   jsonb,
    avatar    bytea,
    feeling   mood,
    feelings  mood[],
    fee       positive_amount,
    ratio     double precision,
    span      interval,
    born      date,
    name_len  int GENERATED ALWAYS AS (length(name)) STORED,
    CONSTRAINT name_not_blank CHECK (name <> '')
);
CREATE TABLE events (
    id         serial PRIMARY KEY,
    account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    payload    json,
    at         timestamp,
    note       varchar(200)
);
CREATE INDEX events_kind_at ON events (kind, at DESC) WHERE kind <> 'noise';
CREATE INDEX accounts_lower_name ON accounts (lower(name));
CREATE TABLE "Weird ""Table"" ñame" ("ünïcödé col" text, "x" int DEFAULT nextval('invoice_numbers'), "UPPER" boolean);
CREATE TABLE empty_table (a int);
CREATE VIEW active_names AS SELECT name FROM accounts WHERE active;
CREATE VIEW active_names_upper AS SELECT upper(name) AS n FROM active_names;
CREATE OR REPLACE VIEW active_names AS SELECT name, id FROM accounts WHERE active;
`

// fixtureData fills it with awkward values and a few thousand ordinary rows.
const fixtureData = `
INSERT INTO accounts (name, balance, big, active, opened_at, tags, scores, grid, profile, avatar, feeling, feelings, fee, ratio, span, born) VALUES
 (E'quote '' "double" \\ back\\slash\ttab\nnewline\r 😀 Ω \u0001 end', 12345678901234567890.12345678901234567890,
  '-0.000000000000000000000000000000000000000001', true, '2026-03-29 01:30:00+01',
  ARRAY['a', NULL, 'with,comma', 'with "quote"', E'back\\slash', '', '{braces}', 'NULL'], ARRAY[1, NULL, -2147483648],
  '{{1,2},{3,4}}', '{"a": [1, 2.50, "ü\"\\n"], "nested": {"null": null}, "big": 123456789012345678901234567890}',
  '\x00', 'it''s "complicated"', ARRAY['sad', 'it''s "complicated"']::mood[], 0.0000000001, 'NaN', '1 year 2 mons -3 days 04:05:06.789', '0044-03-15 BC'),
 ('zero bytes', 0, 'NaN', false, 'infinity', '{}', '{}', NULL, '"just a string"', '\x00ff00000001', 'ok', '{}', 1, 'Infinity', '-1 microsecond', '2000-02-29'),
 ('nulls', NULL, 'Infinity', true, '-infinity', NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL, 1e-310, NULL, NULL),
 ('all bytes', 1, '3.141592653589793238462643383279502884197169399375105820974944592307816406286', true, '1999-12-31 23:59:59.999999+14',
  ARRAY[repeat('x', 5000)], ARRAY[0], NULL, '[]', (SELECT string_agg(set_byte('\x00'::bytea, 0, i), ''::bytea ORDER BY i) FROM generate_series(0, 255) i),
  'sad', NULL, 99999999999999999999.9999999999, 0.1 + 0.2, '0', 'infinity');
INSERT INTO accounts (name, balance, active, tags, scores, profile, avatar, ratio)
SELECT 'user ' || i, i * 1.000001, i % 3 = 0, ARRAY['t' || i % 7, 't' || i % 11], ARRAY[i, i * i],
       jsonb_build_object('i', i, 'even', i % 2 = 0), decode(md5(i::text), 'hex'), i / 7.0
FROM generate_series(1, 3000) i;
INSERT INTO events (account_id, kind, payload, at, note)
SELECT (i % 3000) + 1, CASE WHEN i % 5 = 0 THEN 'noise' ELSE 'login' END, json_build_object('n', i, 'k', repeat('z', i % 50)),
       '2026-01-01'::timestamp + i * interval '37 minutes', CASE WHEN i % 4 = 0 THEN NULL ELSE 'note ' || i END
FROM generate_series(1, 5000) i;
DELETE FROM events WHERE id % 10 = 3;
INSERT INTO "Weird ""Table"" ñame" ("ünïcödé col", "UPPER") VALUES (E'Ünïcödé \\N not null', true), (NULL, NULL), ('\.', false);
`

// fixture provisions tenant slug and fills its schema.
func (e *env) fixture(t testing.TB, slug string) {
	t.Helper()
	e.tenant(t, slug)
	e.asTenant(t, slug, fixtureDDL)
	e.asTenant(t, slug, fixtureData)
}
