"""The rig's pytest plugin, one job per module: `session` (the run's state: results folder, bench), `markers`
(markers and the collection checks, which tests a bench can run), `fixtures`, `reporting` (verdicts, run.json,
junit.xml, the live lines and summary) and `evidence` (each test's folder). `harness.pytest_plugin` loads them."""
