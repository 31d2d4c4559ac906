-- Check: no GNSS fix for the signal timeout in a tunnel raises a
-- signal-lost event (DESIGN, "Device health is part of safety").
--
-- Far from the victim (3 km), the offender walks 1.2 km straight through a
-- pedestrian tunnel 600 m long: about 7 minutes without GNSS, well over the
-- 150 s timeout, while moving.
-- What to expect: a signal-lost event for his tag; no breach and no alarm
-- (he is never near her, inside or out).

scenario {
  name = "Signal lost in a tunnel",
  start = "2026-03-03 10:00",
  duration = "30m",
  seed = 1,
  origin = station("8", "몽촌토성"),
}

local v = victim { name = "victim", start = place(37.5200, 127.1200), phone = { interval = "60s" } }

environment { kind = "tunnel", center = place(37.5200, 127.1540), radius = 300 }
local o = offender {
  name = "offender", start = place(37.5200, 127.1472),             -- 600 m west of the tunnel's centre
  tag = { interval = "5m", moving_interval = "30s" },
  route = { walk { to = place(37.5200, 127.1608), depart = "10:02", speed = 1.4 } },
}

patrol { name = "Songpa 1", base = place(37.5146, 127.1060) }
case { offender = o, victim = v }

expect {
  signal_lost = {min = 1},
  true_breaches = 0,
  false_alerts = 0,
  unauthorized_disclosures = 0,
}
