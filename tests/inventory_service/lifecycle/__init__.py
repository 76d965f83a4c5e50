"""Tests of inventory_service.lifecycle."""
