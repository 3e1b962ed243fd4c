-- Retention (issue 12): the worker's retention pass walks closed rooms in id order.
CREATE INDEX rooms_closed ON rooms (id) WHERE status = 'closed';
