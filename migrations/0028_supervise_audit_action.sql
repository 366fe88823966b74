-- Supervisors listening to, whispering to or joining a live call (issue 13 point 5): each
-- use is an audit entry of its own kind, 'supervise' on the call (fields: the mode, and
-- started / mode / ended), so the audit viewer can filter them.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (
    action IN ('view', 'create', 'update', 'merge', 'export', 'delete', 'supervise'));
