"""Tests of inventory_service.assets."""
