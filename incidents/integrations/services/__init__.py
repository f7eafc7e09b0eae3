"""Alert integration writes: setting integrations up (configuration.py) and taking in their notifications (intake.py)."""
