"""Metrics of the 12345 enterprise line for leaders and departments (docs/metrics.md).

Public surface for the rest of the appeals app:
    facts.refresh_appeal_fact(*, ticket)      after each committed transition and registration
    facts.refresh_appeal_facts(*, ticket_ids=None, updated_since=None)
    selectors.appeal_metrics(*, user, query)  the report; selectors.parse_metrics_query(params)
"""
