"""The Liaoning demo data: plain data files and a loader that goes through the services."""
