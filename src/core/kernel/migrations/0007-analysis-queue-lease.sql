-- A lease on each queued track, so two processes on one library (the app and `moodshelf analyze`) never
-- analyse the same track twice: a process claims a row for a while (renewed while it works) and others
-- skip rows whose lease has not expired. A crashed process's rows come back when their lease runs out.
ALTER TABLE analysis_queue ADD COLUMN lease_owner TEXT;
ALTER TABLE analysis_queue ADD COLUMN lease_until INTEGER;
