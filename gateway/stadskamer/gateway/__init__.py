"""The edge for front ends: the consent-gated history fan-out, REST/JSON and the screens."""
