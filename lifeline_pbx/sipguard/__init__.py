"""The SIP guard: addresses that keep failing SIP authentication are refused for a while.

bans.py decides (pure), ami.py reads Asterisk's security events, acl.py writes the bans
into Asterisk, guard.py runs them together.
"""
