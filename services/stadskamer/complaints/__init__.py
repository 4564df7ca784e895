"""The complaints service: complaints as cases, the call-back clock and the Awb deadlines."""
