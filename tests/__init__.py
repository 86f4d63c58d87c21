"""Code the test suites share: test support, not part of the application."""
