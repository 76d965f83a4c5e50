"""Tests of inventory_service.platform."""
