"""The pseudonym service: transcryptor and key server of the polymorphic pseudonym scheme."""
