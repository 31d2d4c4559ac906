-- The monitoring centre is down for ten minutes while the offender
-- approaches.
--
-- What it tests: reports held in the network during an outage and
-- delivered when the centre is back.  He reaches the victim at Sadang
-- during the outage.
-- What to expect: one true breach, detected only when the centre is back:
-- breach -> alert latency of several minutes, set by the outage.

scenario {
  name = "Centre outage during an approach",
  start = "2026-03-03 18:00",
  duration = "1h",
  seed = 19,
  origin = station("4", "사당"),
}

local v = victim { name = "victim", start = place(37.4770, 126.9820), phone = { interval = "60s" } }

local o = offender {
  name = "offender", start = place(37.4900, 126.9820),        -- 1.4 km north
  tag = { interval = "60s", moving_interval = "30s" },
  route = { walk { to = place(37.4775, 126.9822), depart = "18:05", speed = 1.4 }, wait "30m" },
}

centre_outage { from = "18:15", to = "18:25" }

patrol { name = "Dongjak 1", base = place(37.4850, 126.9700) }
case { offender = o, victim = v }
dispatchers { count = 2, handling = "exp 3m" }

-- At 1.4 m/s from 18:05 he crosses 500 m at about 18:16:15, while the centre
-- is down (18:15-18:25); the alarm can only come once it is back, 8m45s
-- later, and should come within a minute of that.  He then stays.
expect {
  true_breaches = 1,
  detected = 1,
  breach_to_alert = {min = "8m", max = "10m"},
  false_alerts = 0,
  unauthorized_disclosures = 0,
}
