"""Issue-tracker sync for action items: GitHub Issues and Jira Cloud behind one interface (`base.Tracker`).

Part of the `integrations` area (the last in the dependency order, so it calls the follow-through and
timeline services). Outbound calls go through `incidents.outbound.open_guarded` (no tracker client
library: PyGithub and `jira` send through `requests`, which would bypass the guard); inbound webhooks are
verified with each tracker's own signature and applied once per delivery id.
"""
