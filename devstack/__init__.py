"""Dev and test tooling, outside the runtime package: a private PostgreSQL, an Asterisk root,
and the demo stack (`python -m devstack up`, which `./dev.sh up` runs)."""
