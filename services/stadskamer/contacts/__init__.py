"""The contacts service: every customer contact in one register, linked per domain pseudonym."""
