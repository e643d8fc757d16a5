"""Attribution as queries: journeys, rule-based credit and path counts, written once (DuckDB
dialect) and compiled per engine by `dialects`, like the funnel.

Inputs are two tables prepared by `attribution_engines.py`:
  touches(person_id, ts BIGINT, key_code BIGINT, is_lead INT, is_opp INT, row_id BIGINT)
  conversions(person_id, ts BIGINT, revenue DOUBLE)
Timestamps are integer microseconds since the epoch (UTC) and channels are integer codes numbered
in name order, so ordering, ties and ages mean the same on every engine (a text sort would follow
PostgreSQL's collation). Names and user values never enter the SQL text; the only interpolated
value is the time-decay half-life, a validated float.

Semantics are those of `journeys.journeys_build` and the Python models in `attribution.py`:
a touch belongs to the person's earliest conversion at or after it; touches after the last
conversion form one non-converting journey; simultaneous conversions share one journey.
"""

# Only fixed fragments and a float are interpolated into the SQL text (see above).
# ruff: noqa: S608

from __future__ import annotations

RULE_MODELS = ("first", "last", "linear", "u_shaped", "w_shaped", "time_decay")

# One window per journey: the person and the conversion the touch leads to (NULL: none yet).
_JOURNEY = "PARTITION BY person_id, conv_ts"


def _d(expr: str) -> str:
    # Every weight is computed in DOUBLE: DuckDB reads 0.4 as DECIMAL and PostgreSQL as NUMERIC,
    # which would give each engine a different exact-arithmetic result.
    return f"CAST({expr} AS DOUBLE)"


def _touch_ctes() -> list[str]:
    """Each touch with its journey (person, conversion), position, length, age and outcome."""
    return [
        """conv AS (
  SELECT person_id, ts, COUNT(*) AS conversions, COALESCE(SUM(revenue), 0) AS revenue
  FROM conversions WHERE person_id IS NOT NULL
  GROUP BY person_id, ts
)""",
        # "Earliest conversion at or after the touch" as a running MIN over the person's rows
        # sorted newest first, conversions before touches at the same instant (a touch at the
        # conversion instant belongs to it). The same ASOF-as-window idea as the funnel steps.
        """assigned AS (
  SELECT person_id, ts, key_code, is_lead, is_opp, row_id, conv_ts
  FROM (
    SELECT person_id, ts, key_code, is_lead, is_opp, row_id, role,
      MIN(CASE WHEN role = 0 THEN ts END) OVER (
        PARTITION BY person_id ORDER BY ts DESC, role ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS conv_ts
    FROM (
      SELECT person_id, ts, key_code, is_lead, is_opp, row_id, 1 AS role FROM touches
      UNION ALL
      SELECT person_id, ts, -1 AS key_code, 0 AS is_lead, 0 AS is_opp, -1 AS row_id, 0 AS role FROM conv
    ) AS timeline
  ) AS looked_up
  WHERE role = 1
)""",
        f"""touch AS (
  SELECT a.person_id AS person_id, a.conv_ts AS conv_ts, a.key_code AS key_code,
    a.is_lead AS is_lead, a.is_opp AS is_opp,
    CAST(ROW_NUMBER() OVER (PARTITION BY a.person_id, a.conv_ts ORDER BY a.ts, a.key_code, a.row_id)
      AS BIGINT) - 1 AS pos,
    CAST(COUNT(*) OVER (PARTITION BY a.person_id, a.conv_ts) AS BIGINT) AS n,
    CASE WHEN a.conv_ts IS NULL THEN {_d("0")} ELSE {_d("a.conv_ts - a.ts")} / 86400000000.0 END AS age,
    CAST(COALESCE(c.conversions, 0) AS BIGINT) AS conversions,
    {_d("COALESCE(c.revenue, 0)")} AS revenue
  FROM assigned AS a
  LEFT JOIN conv AS c ON c.person_id = a.person_id AND c.ts = a.conv_ts
)""",
    ]


def _weight_ctes(half_life: float) -> list[str]:
    """Per-touch weight of every rule-based model; each journey's weights sum to 1 per model."""
    one = _d("1")
    hl = _d(repr(float(half_life)))
    # W-shaped lead role without a lead flag: the median touch, or the two central ones halved.
    median = (
        f"CASE WHEN n % 2 = 1 THEN CASE WHEN 2 * pos = n - 1 THEN {one} ELSE {_d('0')} END "
        f"WHEN 2 * pos = n - 2 OR 2 * pos = n THEN {_d('0.5')} ELSE {_d('0')} END"
    )
    return [
        f"""anchors AS (
  SELECT person_id, conv_ts, key_code, pos, n, age, conversions, revenue,
    MIN(CASE WHEN is_lead = 1 THEN pos END) OVER ({_JOURNEY}) AS lead_at,
    MIN(CASE WHEN is_opp = 1 THEN pos END) OVER ({_JOURNEY}) AS opp_at,
    MIN(age) OVER ({_JOURNEY}) AS youngest
  FROM touch
)""",
        # roles: how many W-shaped anchor roles (first, lead creation, opportunity creation) fall
        # on the touch; decay: the raw time-decay weight, measured from the path's youngest touch
        # so years-old paths do not underflow to 0/0. Beyond 1000 half-lives the weight is 0
        # outright: 2^-1000 is already negligible, and PostgreSQL raises an error where POWER
        # underflows instead of returning 0.
        f"""roled AS (
  SELECT person_id, conv_ts, key_code, pos, n, conversions, revenue,
    CASE WHEN pos = 0 THEN {one} ELSE {_d("0")} END
      + CASE WHEN pos = COALESCE(opp_at, n - 1) THEN {one} ELSE {_d("0")} END
      + CASE WHEN lead_at IS NULL THEN {median}
          WHEN pos = lead_at THEN {one} ELSE {_d("0")} END AS roles,
    CASE WHEN (age - youngest) / {hl} > 1000 THEN {_d("0")}
      ELSE POWER({_d("2")}, -(age - youngest) / {hl}) END AS decay
  FROM anchors
)""",
        f"""summed AS (
  SELECT person_id, conv_ts, key_code, pos, n, conversions, revenue, roles, decay,
    SUM(CASE WHEN roles = 0 THEN 1 ELSE 0 END) OVER ({_JOURNEY}) AS rest,
    SUM(decay) OVER ({_JOURNEY}) AS decay_total
  FROM roled
)""",
        f"""weighted AS (
  SELECT key_code, conversions, revenue,
    CASE WHEN pos = 0 THEN {one} ELSE {_d("0")} END AS w_first,
    CASE WHEN pos = n - 1 THEN {one} ELSE {_d("0")} END AS w_last,
    {one} / n AS w_linear,
    CASE WHEN n = 1 THEN {one} WHEN n = 2 THEN {_d("0.5")}
      WHEN pos = 0 OR pos = n - 1 THEN {_d("0.4")} ELSE {_d("0.2")} / (n - 2) END AS w_u_shaped,
    CASE WHEN rest > 0
      THEN {_d("0.3")} * roles + CASE WHEN roles = 0 THEN {_d("0.1")} / rest ELSE {_d("0")} END
      ELSE roles / {_d("3")} END AS w_w_shaped,
    decay / decay_total AS w_time_decay
  FROM summed
)""",
    ]


def credit_sql(half_life: float) -> str:
    """Credit of every rule-based model per channel code: ``key_code, <model>_conversions,
    <model>_revenue`` for each model in RULE_MODELS. Channels only on non-converting journeys
    get rows of zeros."""
    sums = ",\n  ".join(
        f"SUM(w_{m} * conversions) AS {m}_conversions, SUM(w_{m} * revenue) AS {m}_revenue"
        for m in RULE_MODELS
    )
    ctes = [*_touch_ctes(), *_weight_ctes(half_life)]
    return "WITH " + ",\n".join(ctes) + f"\nSELECT key_code,\n  {sums}\nFROM weighted GROUP BY key_code"


def path_counts_sql() -> str:
    """Journeys grouped by path, in channelattribution's format with channel codes for names:
    ``path`` ("3 > 0 > 2"), ``total_conversions``, ``total_conversion_value``, ``total_null``."""
    journeys = """journeys AS (
  SELECT person_id, conv_ts,
    STRING_AGG(CAST(key_code AS VARCHAR), ' > ' ORDER BY pos) AS path,
    MAX(conversions) AS conversions, MAX(revenue) AS revenue
  FROM touch GROUP BY person_id, conv_ts
)"""
    final = f"""SELECT path,
  {_d("SUM(conversions)")} AS total_conversions,
  {_d("SUM(revenue)")} AS total_conversion_value,
  {_d("SUM(CASE WHEN conversions = 0 THEN 1 ELSE 0 END)")} AS total_null
FROM journeys GROUP BY path"""
    return "WITH " + ",\n".join([*_touch_ctes(), journeys]) + "\n" + final
