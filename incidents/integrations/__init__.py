"""Alert intake from the monitoring systems teams already run (Alertmanager, Grafana, PagerDuty, Opsgenie).

An area of its own (after `incident` and `timeline`, whose services it calls): it has its own models (the
integration identity and its token, alert groups, alerts), its own authentication, one module per sender in
`senders/`, and its admin pages. Kept out of `incidents/incident/` so that area stays about incidents.
"""
