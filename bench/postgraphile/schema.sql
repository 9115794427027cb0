-- The PostGraphile peer's view of the catalogue, for the P1 benchmark (bench/run_bench.py applies it).
--
-- Everything lives in the schema `bench_pg` of the bench database, which is dropped and recreated by each run:
-- the gateway's own tables (schema `public`) are only read. Views expose the columns the three queries need,
-- smart comments give PostGraphile the keys and relations views lack, and SQL functions compute what the
-- gateway computes in Python, with the same rules:
--   * Q1 `near_me`: EAJE within the radius with free places in the period, ordered by the gateway's flat
--     squared distance (111.195 km per degree, longitude scaled by cos(latitude of the point)), ties by id;
--   * Q2/Q3: address on one line, size class, published operating info (from its JSON document), availability
--     status (« today » in Europe/Paris, staleness after 7 days), availabilities between two dates.

DROP SCHEMA IF EXISTS bench_pg CASCADE;
CREATE SCHEMA bench_pg;

-- Tables, as views ------------------------------------------------------------------------------------------------

CREATE VIEW bench_pg.providers AS
    SELECT p.id, p.name, p.kind FROM public.providers p;
COMMENT ON VIEW bench_pg.providers IS E'@primaryKey id\n@omit all';

CREATE VIEW bench_pg.cafs AS
    SELECT c.code, c.label FROM public.cafs c;
COMMENT ON VIEW bench_pg.cafs IS E'@primaryKey code\n@omit all';

-- LEFT JOINs on primary keys: PostgreSQL removes them when a query does not use commune_name or caf_code.
CREATE VIEW bench_pg.establishments AS
    SELECT e.id, e.name, e.category, e.eaje_type, e.phone, e.email, e.website, e.capacity,
           e.street_number, e.street_name, e.address_complement, e.postal_code, e.commune_insee, e.departement,
           e.latitude, e.longitude, e.provider_id, e.availability_updated_at,
           c.name AS commune_name, d.caf_code
      FROM public.establishments e
      LEFT JOIN public.communes c ON c.insee = e.commune_insee
      LEFT JOIN public.departements d ON d.code = e.departement;
COMMENT ON VIEW bench_pg.establishments IS
    E'@primaryKey id\n'
    '@foreignKey (provider_id) references bench_pg.providers (id)|@omit many\n'
    '@foreignKey (caf_code) references bench_pg.cafs (code)|@omit many';

CREATE VIEW bench_pg.operating_info AS
    SELECT v.establishment_id, v.version, v.opening_hours, v.published_at, v.document
      FROM public.operating_info_versions v
     WHERE v.status = 'PUBLISHED';
COMMENT ON VIEW bench_pg.operating_info IS
    E'@primaryKey establishment_id\n@omit all\n'
    '@foreignKey (establishment_id) references bench_pg.establishments (id)';
COMMENT ON COLUMN bench_pg.operating_info.document IS '@omit';

-- Composite types -------------------------------------------------------------------------------------------------

CREATE TYPE bench_pg.address AS (one_line text, postal_code text, commune_insee text);
CREATE TYPE bench_pg.age AS (value integer, unit text, months integer);
CREATE TYPE bench_pg.opening_slot AS (day text, opens time, closes time);
CREATE TYPE bench_pg.availability_status AS (state text, label text, free_places integer, next_date date);
CREATE TYPE bench_pg.availability AS (date date, slot text, places integer);

-- Q1 --------------------------------------------------------------------------------------------------------------

-- The gateway's squared distance in km² (gateway/catalogue/repositories.py distance2), operation for operation so
-- that the floating-point results, hence the order and the radius cut, are identical: SQLAlchemy renders dy * dy as
-- (lat - lat0) * k * (lat - lat0) * k, evaluated from left to right. Inlined by PostgreSQL (a single expression).
CREATE FUNCTION bench_pg.flat_distance2(latitude float8, longitude float8, lat float8, lon float8)
    RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (latitude - lat) * 111.195 * (latitude - lat) * 111.195
           + (longitude - lon) * (111.195 * cos(radians(lat))) * (longitude - lon) * (111.195 * cos(radians(lat)))
$$;
COMMENT ON FUNCTION bench_pg.flat_distance2(float8, float8, float8, float8) IS '@omit';

CREATE FUNCTION bench_pg.near_me(lat float8, lon float8, radius_km float8, from_day date, to_day date)
    RETURNS SETOF bench_pg.establishments
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT e.*
      FROM bench_pg.establishments e
     WHERE e.category = 'EAJE'
       AND e.latitude BETWEEN lat - radius_km / 111.195 AND lat + radius_km / 111.195
       AND e.longitude BETWEEN lon - radius_km / 111.195 / greatest(cos(radians(lat)), 0.01)
                           AND lon + radius_km / 111.195 / greatest(cos(radians(lat)), 0.01)
       AND bench_pg.flat_distance2(e.latitude, e.longitude, lat, lon) <= radius_km * radius_km
       AND EXISTS (SELECT 1 FROM public.availabilities a
                    WHERE a.establishment_id = e.id AND a.day BETWEEN from_day AND to_day AND a.places > 0)
     ORDER BY bench_pg.flat_distance2(e.latitude, e.longitude, lat, lon), e.id
$$;
COMMENT ON FUNCTION bench_pg.near_me(float8, float8, float8, date, date) IS
    'EAJE within radius_km of (lat, lon) with free places between from_day and to_day, nearest first.';

-- Great-circle distance (haversine, mean Earth radius), rounded to the metre like the gateway's distanceKm.
CREATE FUNCTION bench_pg.establishments_distance_km(e bench_pg.establishments, lat float8, lon float8)
    RETURNS float8
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT round((2 * 6371.0088 * asin(sqrt(
               sin(radians(e.latitude - lat) / 2) ^ 2
               + cos(radians(lat)) * cos(radians(e.latitude)) * sin(radians(e.longitude - lon) / 2) ^ 2)))::numeric, 3)::float8
$$;

-- Establishment fields ------------------------------------------------------------------------------------------

CREATE FUNCTION bench_pg.establishments_address(e bench_pg.establishments)
    RETURNS bench_pg.address
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ROW(
        concat_ws(', ',
                  nullif(concat_ws(' ', nullif(e.street_number, ''), nullif(e.street_name, '')), ''),
                  nullif(e.address_complement, ''),
                  e.postal_code || ' ' || e.commune_name),
        e.postal_code,
        e.commune_insee)::bench_pg.address
$$;

-- R. 2324-46 (collective) and R. 2324-48 (familial) size classes, as gateway/catalogue/domain.py size_class.
CREATE FUNCTION bench_pg.establishments_size_class(e bench_pg.establishments)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN e.eaje_type IS NULL OR e.capacity IS NULL THEN NULL
        WHEN e.eaje_type = 'CRECHE_FAMILIALE' THEN
            CASE WHEN e.capacity < 30 THEN 'PETITE_CRECHE_FAMILIALE'
                 WHEN e.capacity < 60 THEN 'CRECHE_FAMILIALE'
                 WHEN e.capacity < 90 THEN 'GRANDE_CRECHE_FAMILIALE'
                 ELSE 'TRES_GRANDE_CRECHE_FAMILIALE' END
        ELSE
            CASE WHEN e.capacity < 13 THEN 'MICRO_CRECHE'
                 WHEN e.capacity < 25 THEN 'PETITE_CRECHE'
                 WHEN e.capacity < 40 THEN 'CRECHE'
                 WHEN e.capacity < 60 THEN 'GRANDE_CRECHE'
                 ELSE 'TRES_GRANDE_CRECHE' END
    END
$$;

-- Published availabilities between two dates (the next 14 days in Europe/Paris by default); crèches only.
CREATE FUNCTION bench_pg.establishments_availabilities(
        e bench_pg.establishments, from_day date DEFAULT NULL, to_day date DEFAULT NULL)
    RETURNS SETOF bench_pg.availability
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.day, a.slot, a.places
      FROM public.availabilities a
     WHERE e.category = 'EAJE'
       AND a.establishment_id = e.id
       AND a.day BETWEEN coalesce(from_day, (now() AT TIME ZONE 'Europe/Paris')::date)
                      AND coalesce(to_day, coalesce(from_day, (now() AT TIME ZONE 'Europe/Paris')::date) + 13)
     ORDER BY a.day, a.slot
$$;
COMMENT ON FUNCTION bench_pg.establishments_availabilities(bench_pg.establishments, date, date) IS
    '@simpleCollections only';

-- As gateway/catalogue/domain.py availability_state: not given, stale after 7 days, available or full.
CREATE FUNCTION bench_pg.establishments_availability_status(e bench_pg.establishments)
    RETURNS bench_pg.availability_status
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH soon AS (
        SELECT min(a.day) AS next_day, coalesce(sum(a.places), 0)::integer AS free_places
          FROM public.availabilities a
         WHERE a.establishment_id = e.id
           AND a.day BETWEEN (now() AT TIME ZONE 'Europe/Paris')::date
                         AND (now() AT TIME ZONE 'Europe/Paris')::date + 13
           AND a.places > 0
    ), counted AS (
        SELECT soon.free_places,
               CASE WHEN soon.next_day >= (now() AT TIME ZONE 'UTC')::date THEN soon.next_day END AS next_day
          FROM soon
    ), judged AS (
        SELECT counted.free_places, counted.next_day,
               CASE WHEN e.availability_updated_at IS NULL THEN 'NON_RENSEIGNEES'
                    WHEN now() - e.availability_updated_at > interval '7 days' THEN 'PERIMEES'
                    WHEN counted.next_day IS NOT NULL THEN 'DISPONIBLE'
                    ELSE 'COMPLET' END AS state
          FROM counted
    )
    SELECT ROW(
        judged.state,
        CASE judged.state
            WHEN 'NON_RENSEIGNEES' THEN 'Disponibilités non renseignées'
            WHEN 'PERIMEES' THEN 'Disponibilités non mises à jour depuis plus d''une semaine'
            WHEN 'DISPONIBLE' THEN 'Places disponibles'
            ELSE 'Complet' END,
        judged.free_places,
        CASE WHEN judged.state = 'NON_RENSEIGNEES' THEN NULL ELSE judged.next_day END)::bench_pg.availability_status
      FROM judged
     WHERE e.category = 'EAJE'
$$;

-- Operating info fields, read from the published JSON document -----------------------------------------------

CREATE FUNCTION bench_pg.age_of(age json)
    RETURNS bench_pg.age
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN age IS NULL OR json_typeof(age) = 'null' THEN NULL
                ELSE ROW((age ->> 'value')::integer,
                         age ->> 'unit',
                         CASE age ->> 'unit'
                             WHEN 'AN' THEN (age ->> 'value')::integer * 12
                             WHEN 'SEMAINE' THEN (age ->> 'value')::integer * 7 / 30
                             ELSE (age ->> 'value')::integer END)::bench_pg.age END
$$;
COMMENT ON FUNCTION bench_pg.age_of(json) IS '@omit';

CREATE FUNCTION bench_pg.operating_info_age_min(o bench_pg.operating_info)
    RETURNS bench_pg.age
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT bench_pg.age_of(o.document -> 'age_min') $$;

CREATE FUNCTION bench_pg.operating_info_age_max(o bench_pg.operating_info)
    RETURNS bench_pg.age
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT bench_pg.age_of(o.document -> 'age_max') $$;

CREATE FUNCTION bench_pg.operating_info_capacity(o bench_pg.operating_info)
    RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (o.document ->> 'capacity')::integer $$;

CREATE FUNCTION bench_pg.operating_info_meals_provided(o bench_pg.operating_info)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (o.document ->> 'meals_provided')::boolean $$;

CREATE FUNCTION bench_pg.operating_info_nappies_provided(o bench_pg.operating_info)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (o.document ->> 'nappies_provided')::boolean $$;

CREATE FUNCTION bench_pg.operating_info_fees(o bench_pg.operating_info)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT o.document ->> 'fees' $$;

CREATE FUNCTION bench_pg.operating_info_project(o bench_pg.operating_info)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT o.document ->> 'project' $$;

CREATE FUNCTION bench_pg.operating_info_funding(o bench_pg.operating_info)
    RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT json_array_elements_text(o.document -> 'funding'))
$$;

-- In the document's order, like the gateway's weeklyHours.
CREATE FUNCTION bench_pg.operating_info_weekly_hours(o bench_pg.operating_info)
    RETURNS SETOF bench_pg.opening_slot
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s.slot ->> 'day', (s.slot ->> 'opens')::time, (s.slot ->> 'closes')::time
      FROM json_array_elements(o.document -> 'opening_hours') WITH ORDINALITY AS s(slot, position)
     ORDER BY s.position
$$;
COMMENT ON FUNCTION bench_pg.operating_info_weekly_hours(bench_pg.operating_info) IS '@simpleCollections only';
