-- A Teheran-ro urban-canyon walk with no true approach.
--
-- What it tests: false-alert pressure.  The victim works in a tower by
-- Yeoksam station; the offender walks the length of Teheran-ro and back,
-- never closer than about 865 m.  The heavy canyon throws multipath jumps
-- of tens to over a hundred metres along the street.
-- What to expect: no true breach; any alert is false and is listed by
-- cause (urban canyon, noise jump).  Pre-warnings are expected (he is
-- within 1 km).

scenario {
  name = "Teheran-ro canyon walk",
  start = "2026-03-03 12:00",
  duration = "3h",
  seed = 16,
  origin = station("2", "역삼"),
}

environment {
  kind = "urban_heavy",
  polygon = { place(37.4990, 127.0250), place(37.5075, 127.0560),
              place(37.5040, 127.0575), place(37.4955, 127.0265) },
  street_bearing = 70,
}

local v = victim {
  name = "victim", start = place(37.5000, 127.0367),     -- a tower by Yeoksam
  phone = { interval = "60s" },
}

-- The north side of the avenue, 865 m and more north-east of her.
local a = place(37.5052, 127.0440)
local b = place(37.5078, 127.0545)
local o = offender {
  name = "offender", start = a,
  tag = { interval = "60s", moving_interval = "30s" },
  route = { walk { to = b }, wait "10m", walk { to = a }, wait "10m" },
  loop = true,
}

patrol { name = "Gangnam 2", base = place(37.5095, 127.0360) }
case { offender = o, victim = v }
dispatchers { count = 1, handling = "exp 3m" }

-- He comes no closer than 865 m: within the 1 km pre-warning, never the
-- 500 m alarm.  The canyon may still throw a false alert or two, and those
-- are the canyon's or a noise jump's, not a tunnel's or a cell fallback's.
expect {
  true_breaches = 0,
  prewarnings = {min = 1},
  false_alerts = {max = 2},
  false_tunnel_exit = 0,
  false_cell_fallback = 0,
  unauthorized_disclosures = 0,
}
