-- Check: a tag at rest wakes to its moving interval the moment it moves
-- (DESIGN, "The engine's rules").
--
-- He rests 560 m from her in open sky (a fix every 5 minutes, at 10:00,
-- 10:05, 10:10 ...), sets off towards her at 10:07 at 1.4 m/s and crosses
-- 500 m 43 s later, then stops 100 m from her.
-- What to expect: the tag reports every 30 s from 10:07 on, so a fix
-- inside the radius reaches the centre at most two moving intervals after
-- the crossing (the first may fall just outside), plus the network delay
-- (1.5 s on average): the alarm within 75 s.  A tag that keeps its rest
-- period, or an engine that trusts the resting fix, is later than that.

scenario {
  name = "A resting tag wakes when he moves",
  start = "2026-03-03 10:00",
  duration = "40m",
  seed = 1,
  origin = station("8", "몽촌토성"),
}

local her = place(37.5200, 127.1200)                  -- Olympic Park, open sky
local v = victim { name = "victim", start = her, phone = { interval = "60s" } }
local o = offender {
  name = "offender", start = place(37.5200, 127.12635), -- 560 m east
  tag = { interval = "5m", moving_interval = "30s" },
  route = { walk { to = place(37.5200, 127.12113), depart = "10:07", speed = 1.4 } },  -- 100 m east
}

patrol { name = "Songpa 1", base = place(37.5146, 127.1060) }
case { offender = o, victim = v }

expect {
  true_breaches = 1,
  detected = 1,
  breach_to_alert_max = "75s",
  false_alerts = 0,
  unauthorized_disclosures = 0,
}
