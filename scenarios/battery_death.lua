-- The offender's tag battery dies while he is 400 m from the victim.
--
-- What it tests: signal loss near a victim is a risk, not silence.  He
-- walks towards her home in Mapo and the tag goes dead inside her
-- pre-warning radius.
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

battery_death { actor = o, at = "21:15" }

patrol { name = "Mapo 1", base = place(37.5500, 126.9100) }
case { offender = o, victim = v }
dispatchers { count = 1, handling = "exp 2m" }
