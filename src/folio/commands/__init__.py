"""Thin Click commands, one module each, loaded lazily by folio.cli."""
