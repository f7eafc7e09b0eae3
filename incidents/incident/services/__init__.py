"""Incident writes: declare (declare.py), lifecycle moves (lifecycle.py), edits and roles (edits.py)."""
