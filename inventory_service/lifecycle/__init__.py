"""Reservations, replacements, repairs and standby loans: the life of a part after the fault.

Every step is a state-machine table (`ALLOWED`) plus one transition function; a step that
moves a unit or a device writes its ledger or history row in the same transaction.
"""
