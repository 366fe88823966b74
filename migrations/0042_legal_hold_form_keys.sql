-- The key of the form that placed each legal hold, made when the form was opened
-- (retention/): the same form posted again (a double click, back and resubmit, a retry)
-- places no second hold for the one matter. Holds placed before this have none.
ALTER TABLE legal_holds ADD COLUMN form_key uuid,
    ADD CONSTRAINT legal_holds_form_key UNIQUE (form_key);
