"""tests/extras uses the Chromium launch fixture of tests/conftest.py."""
