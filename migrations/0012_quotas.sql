-- Quotas (issue 12).
--
-- The live-rooms quota counts a creator's rooms that are not closed, at every room creation.
CREATE INDEX rooms_live_by_creator ON rooms (creator) WHERE status <> 'closed';
