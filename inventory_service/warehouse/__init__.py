"""The spare warehouse: the parts catalogue, spare units and their append-only ledger.

Every unit status or warehouse change goes through `stock.transition`, which checks the
state-machine table and writes its movement row in the same step; the substitution rule
(vendor, approved alternates, category and specs) lives only in `catalogue.refusal`, asked
through `catalogue.may_substitute` and its helpers.
"""
