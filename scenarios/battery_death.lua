-- The offender's tag battery dies while he is 600-750 m from the victim,
-- walking towards her.
--
-- What it tests: signal loss near a victim is a risk, not silence.  He
-- walks towards her home in Mapo and the tag goes dead inside her
-- pre-warning radius, before he reaches the alarm radius.
-- What to expect: a pre-warning, then signal loss and contact loss; both
-- escalate (the victim is warned without a position, an incident opens and
-- a patrol is sent).  The true breach that follows is missed by the
-- engine, but the patrol is already on its way.

scenario {
  name = "Battery death near the victim",
  start = "2026-03-03 21:00",
  duration = "1h",
  seed = 18,
  origin = station("2", "홍대입구"),
}

local home = place(37.5560, 126.9240)
local v = victim { name = "victim", start = home, phone = { interval = "60s" } }

local o = offender {
  name = "offender", start = place(37.5560, 126.9390),        -- 1.3 km east
  tag = { interval = "60s", moving_interval = "30s", battery = 6, drain_per_hour = 1.5 },
  route = {
    walk { to = place(37.5560, 126.9285), depart = "21:05" },   -- 400 m away
    wait "3m",
    walk { to = place(37.5562, 126.9245) },                     -- at her door
    wait "20m",
  },
}

-- At 1.2-1.5 m/s he is 600-750 m from her at 21:13 and crosses 500 m from
-- 21:14 on: the breach always comes after the tag is dead.
battery_death { actor = o, at = "21:13" }

patrol { name = "Mapo 1", base = place(37.5500, 126.9100) }
case { offender = o, victim = v }
dispatchers { count = 1, handling = "exp 2m" }

-- The tag dies at 21:13 inside the 1 km pre-warning; he crosses 500 m a
-- minute or more later and stays at her door.
expect {
  prewarnings = {min = 1},
  signal_lost = {min = 1},          -- nothing reports any more ...
  contact_lost = {min = 1},
  escalations = {min = 2},          -- ... and both faults, near her, are a risk
  victim_warnings = {min = 1},      -- she is warned, without a position
  incidents = {min = 1},
  patrols_sent = {min = 1},
  true_breaches = 1,
  missed = 1,                       -- no fix is left to see him arrive
  false_alerts = 0,
  exposure = 0,                     -- no position is shown to her
  unauthorized_disclosures = 0,
}
