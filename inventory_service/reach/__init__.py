"""Can a genuine replacement reach this site in time: bands, legs, availability, coverage.

Queries only: nothing in this package writes. Bands compare the unrounded distance.
"""
