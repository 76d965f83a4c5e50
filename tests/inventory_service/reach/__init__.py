"""Tests of inventory_service.reach."""
