-- Check: zone schedules take effect on the clock tick, not only when a fix
-- arrives (DESIGN, "The engine's rules").
--
-- The offender sits inside a zone from before its hours begin until after
-- they end, with his tag at rest: a fix every 5 minutes, at 07:54, 07:59,
-- 08:04 ... so no fix falls on the schedule's edges (08:00 and 08:30).
-- What to expect: the breach starts at 08:00 and the alarm with it, at the
-- 08:00 tick (0 s late: the engine ticks every second); it ends at 08:30
-- and the alarm closes at that tick (a schedule's end is not noise: no
-- close dwell), her window a grace period (60 s) later.  An engine that
-- waits for the next fix is 4 minutes late at both ends.

scenario {
  name = "Zone schedule on the clock tick",
  start = "2026-03-02 07:54",          -- a Monday
  duration = "50m",
  seed = 1,
  origin = station("2", "교대"),
}

local school = place(37.4880, 127.0120)
exclusion_zone {
  name = "school", center = school, radius = 150,
  schedule = { days = "Mon-Fri", from = "08:00", to = "08:30" },
}

local v = victim { name = "victim", start = place(37.4960, 127.0290), phone = { interval = "60s" } }
local o = offender {
  name = "offender", start = place(37.4881, 127.0121),       -- 15 m from the centre
  tag = { interval = "5m", moving_interval = "30s" },
}

patrol { name = "Seocho 1", base = place(37.4921, 127.0068) }
case { offender = o, victim = v, zones = { "school" } }

expect {
  true_breaches = 1,
  detected = 1,
  breach_to_alert_max = "1s",          -- at the 08:00 tick, not at the 08:04 fix
  false_alerts = 0,
  exposure_max = "90s",                -- closed at the 08:30 tick, window 60 s later
  unauthorized_disclosures = 0,
}
