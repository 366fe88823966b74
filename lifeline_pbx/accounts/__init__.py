"""Web accounts: users and roles, passwords, sessions, login throttling, second factor."""
