-- The offender cuts his strap and switches the tag off at home, 4 km away,
-- then takes the subway to the victim's workplace in Yeouido.
--
-- What it tests: a tamper far from the victim.  The engine raises tamper
-- and device-off events to the centre but, with the offender far away,
-- does not escalate to the victim; after that nothing reports.
-- What to expect: one tamper, one device-off, no escalation; the true
-- breach at Yeouido is missed (nothing is left to see it).  This is the
-- case a pilot's procedures (call the offender, send a patrol to his home)
-- must cover, not the engine.

scenario {
  name = "Tamper, then an approach",
  start = "2026-03-03 09:00",
  duration = "2h",
  seed = 17,
  origin = station("5", "여의도"),
}

local line9 = subway_line { name = "9", stations = { "노량진", "샛강", "여의도" } }
local work = place(37.5235, 126.9260)            -- a Yeouido office
local home = place(37.5120, 126.9420)            -- near Noryangjin

local v = victim { name = "victim", start = work, phone = { interval = "60s" } }

local o = offender {
  name = "offender", start = home,
  tag = { interval = "60s", moving_interval = "30s" },
  route = {
    walk { to = station("9", "노량진"), depart = "09:30" },
    subway { line = line9, from = "노량진", to = "여의도" },
    walk { to = place(37.5225, 126.9255) },
    wait "30m",
  },
}

tamper { actor = o, at = "09:15" }
device_off { actor = o, at = "09:20" }

patrol { name = "Yeongdeungpo 1", base = place(37.5260, 126.8960) }
case { offender = o, victim = v }
dispatchers { count = 2, handling = "exp 3m" }

expect {
  tamper = 1,
  device_off = 1,
  escalations = 0,                  -- 1.9 km away: not a risk to her
  victim_warnings = 0,
  incidents = 0,
  true_breaches = 1,
  missed = 1,                       -- the tag is off when he arrives
  false_alerts = 0,
  unauthorized_disclosures = 0,
}
