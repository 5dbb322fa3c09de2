"""The results store: every run, its bench, its devices under test and each test case, in SQLite (a file, by
default ``results/rig.db``) or PostgreSQL (by URL), through one SQLAlchemy Core schema."""
