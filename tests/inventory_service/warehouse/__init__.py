"""Tests of inventory_service.warehouse."""
