"""Plumbing every capability stands on: settings, database, errors, auth, idempotency, logs.

Nothing here knows a spare unit from a device: no module in this package imports a
capability package (`assets`, `warehouse`, `reach`, `lifecycle`, `reporting`).
"""
