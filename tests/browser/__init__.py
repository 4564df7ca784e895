"""Browser tests of the screens, in headless Chromium."""
