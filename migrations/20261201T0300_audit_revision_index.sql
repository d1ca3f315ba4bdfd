-- The admin write that committed at a revision (the actor of a stock movement): looked up by revision.
CREATE INDEX audit_log_revision_idx ON audit_log (revision) WHERE revision IS NOT NULL;
