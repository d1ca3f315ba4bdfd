-- The data revisions of customers (journey-layer/pricing/pricing-context.ts, customerDataRevisions) as a
-- function. An API node asks this for every cached member answer it serves (one read shared by the hits that
-- arrive together: channel-layer/graphql/customer-freshness.ts), hundreds of times a second; sent as a query
-- it was planned each time (about 0.35 of its 0.5 ms in PostgreSQL). PL/pgSQL keeps the plan of the query in
-- each connection, so only `SELECT … FROM customer_data_revisions($1)` is planned per call. A named prepared
-- statement would do the same, but not through PgBouncer in transaction mode (it would reach another
-- server connection); a function's plan lives in whichever server connection runs it.
-- What it answers: for each of `ids` that is a known profile, the newest revision of what a price reads of
-- her — her profile, consents and segments (the definitions of the segments she is in too), her loyalty
-- account — over the id and the profiles it was merged into (at most 10 hops). Ids none of whose profiles is
-- known are absent; a row's revision is null when none of those rows has one.
-- Migrations are append-only: never edit this file once it has landed; add a newer one.

CREATE FUNCTION customer_data_revisions(ids uuid[])
RETURNS TABLE (customer uuid, data_revision bigint)
LANGUAGE plpgsql STABLE
-- One plan for every call: the planner would otherwise plan it anew each time (its plan for a given array
-- looks cheaper than the generic one), which is what this function is for avoiding. Every step is a lookup
-- by key (a merge hop, her profile, her account, her memberships and their definitions), so the generic plan
-- is the one a given array gets; PostgreSQL plans it again when the tables' statistics change.
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN QUERY
    WITH RECURSIVE chain(root, member, hops) AS (
      SELECT c.id, c.id, 0 FROM customers c WHERE c.id = ANY (ids)
      UNION
      SELECT chain.root, hop.merged_into, chain.hops + 1
        FROM chain
        CROSS JOIN LATERAL (
          SELECT c.merged_into FROM customers c WHERE c.id = chain.member AND c.merged_into IS NOT NULL
        ) hop
       WHERE chain.hops < 10
    )
    SELECT chain.root,
           greatest(
             max((SELECT c.revision FROM customers c WHERE c.id = chain.member)),
             max((SELECT l.revision FROM loyalty_accounts l WHERE l.customer_id = chain.member)),
             max((SELECT max(d.revision) FROM segment_memberships m
                    JOIN segment_definitions d ON d.id = m.segment_id
                   WHERE m.customer_id = chain.member)))
      FROM chain
     GROUP BY chain.root;
END
$$;
