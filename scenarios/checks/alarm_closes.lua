-- Check: an alarm closes once the breach has ended (radius + leave margin,
-- close dwell) and the victim's window a grace period later (DESIGN, "The
-- engine's rules").
--
-- In open sky he walks straight past her at 1.4 m/s, 55 m to the side of
-- her, from 1.5 km west to 800 m east, and sits down there (his tag comes
-- to rest): one breach of about 12 minutes.
-- What to expect: the alarm within a moving interval or two of the
-- crossing; after he is 500 m past her, 36 s to clear the 50 m leave
-- margin, a pursuit fix (15 s), the 60 s close dwell and the 60 s grace:
-- under 4 minutes of his position shown with no breach.  In open sky, with
-- his tag reporting a stop at once, no signal-lost event (a lost first
-- "at rest" fix must not look like lost satellites).

scenario {
  name = "An alarm closes when he has gone",
  start = "2026-03-03 10:00",
  duration = "50m",
  seed = 1,
  origin = station("8", "몽촌토성"),
}

local v = victim { name = "victim", start = place(37.5200, 127.1200), phone = { interval = "60s" } }
local o = offender {
  name = "offender", start = place(37.5205, 127.1030),                -- 1.5 km west, 55 m north
  tag = { interval = "5m", moving_interval = "30s", pursuit_interval = "15s" },
  route = { walk { to = place(37.5205, 127.1291), depart = "10:05", speed = 1.4 } },  -- 800 m east
}

patrol { name = "Songpa 1", base = place(37.5146, 127.1060) }
case { offender = o, victim = v }

expect {
  true_breaches = 1,
  detected = 1,
  breach_to_alert_max = "90s",
  false_alerts = 0,
  exposure_max = "4m",
  signal_lost = 0,
  unauthorized_disclosures = 0,
}
