"""The customer's asset register: customers, sites, warehouses, devices and their components.

Every device change writes exactly one append-only `device_history` row in its transaction;
serials are unique (device serials everywhere, component serials among installed parts).
"""
