"""`rig results serve`: the results dashboard (Starlette + Jinja2; every page works without JavaScript)."""
