"""Task suites and formats: the bottom layer; imports nothing from the project."""
