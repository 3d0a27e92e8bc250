-- Runs once, when the compose stack's PostgreSQL volume is first created.
-- The image's superuser is `temporal` (POSTGRES_USER): Temporal's auto-setup
-- creates its databases `temporal` and `temporal_visibility` with it.
-- Rigger gets its own role and database; CREATEROLE because onboarding creates
-- one role per tenant (tenant data lives in a schema owned by that role).
CREATE ROLE rigger LOGIN CREATEROLE PASSWORD 'rigger';
CREATE DATABASE rigger OWNER rigger;
