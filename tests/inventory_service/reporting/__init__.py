"""Tests of inventory_service.reporting."""
