"""Web views, one module per area (incident, timeline, review, followup, ...)."""
