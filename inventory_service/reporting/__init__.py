"""The replacement report (monthly, quarterly, any range) and its CSV / XLSX renderings.

Read-only; periods are local days in the configured time zone, stored times are UTC.
"""
