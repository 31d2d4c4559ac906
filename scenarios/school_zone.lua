-- A school exclusion zone on a weekday schedule (08:00-16:00) in Seocho.
--
-- What it tests: schedules.  The offender walks through the school grounds
-- three times on a Monday: at 07:40 (before school), at 12:00 (during) and
-- at 17:00 (after).
-- What to expect: exactly one true breach, at noon, detected within about
-- a minute; no alert for the other two passes (they break no rule).

scenario {
  name = "School zone on a weekday",
  start = "2026-03-02 07:00",          -- a Monday
  duration = "11h",
  seed = 13,
  origin = station("2", "교대"),
}

local school = place(37.4880, 127.0120)
exclusion_zone {
  name = "school", center = school, radius = 150,
  schedule = { days = "Mon-Fri", from = "08:00", to = "16:00" },
}

local v = victim {                      -- the victim's child's school; she works elsewhere
  name = "victim", start = place(37.4960, 127.0290),
  phone = { interval = "60s" },
}

local west = place(37.4880, 127.0070)
local east = place(37.4880, 127.0170)
local o = offender {
  name = "offender", start = west,
  tag = { interval = "5m", moving_interval = "30s" },
  route = {
    walk { to = east, depart = "07:40" },
    walk { to = west, depart = "12:00" },
    walk { to = east, depart = "17:00" },
  },
}

patrol { name = "Seocho 1", base = place(37.4921, 127.0068) }
case { offender = o, victim = v, zones = { "school" } }
dispatchers { count = 1, handling = "exp 3m" }

-- Only the noon pass is inside the zone in its hours (about 4 min inside).
-- The alarm closes once he is out (leave margin, 60 s dwell) and her window
-- a grace period (60 s) later: a few minutes of position after the breach.
expect {
  true_breaches = 1,
  detected = 1,
  breach_to_alert_max = "90s",      -- "within about a minute"
  false_alerts = 0,                 -- 07:40 and 17:00 break no rule
  exposure_max = "4m",
  unauthorized_disclosures = 0,
}
