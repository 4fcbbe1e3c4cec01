-- The keywords of an encounter, lowercased: what the tag pages compare, and what the GIN
-- index encounters_keywords_lower_idx holds. Immutable, so an index may be built on it.
CREATE FUNCTION "socialdapres_lower_keywords"("keywords" text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT coalesce(array_agg(lower(k)), '{}') FROM unnest(keywords) AS k $$;
