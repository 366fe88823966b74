"""`lifeline doctor`: is this installation sound? Each part gathers facts (settings, files,
the database as the app's role sees it, Asterisk over ARI) and a pure function per part
decides, naming what is wrong and how to put it right."""
