-- The hourly purge deletes sessions that expired or ended a day ago, in
-- batches: `ended_at` needs an index as `expires_at` has one, or each batch
-- would scan every session (a million at scale).
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;
