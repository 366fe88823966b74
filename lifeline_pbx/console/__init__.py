"""The operator console: availability, the live screen pop and the intake form."""
