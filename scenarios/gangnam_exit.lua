-- An offender waits at a Gangnam station exit while the victim commutes on
-- Line 2, underground, from Jamsil to Gyodae.
--
-- What it tests: a true breach that happens underground.  The train passes
-- beneath the exit within 500 m of him; her phone has only cell positions
-- (hundreds of metres) in the tunnel.
-- What to expect: the pass under the exit is a true breach that cell
-- positions can only show late, or not at all: they trigger at most one
-- alarm, either in the last seconds of the pass (a late detection) or after
-- the train has gone (the breach is missed and the alarm counts as a false
-- alert, cause cell fallback or tunnel exit); on about one seed in three
-- (4 of seeds 1-12) every cell position stays outside the 500 m alarm
-- radius and the breach is missed with no alarm at all.  An alarm may show
-- the victim his position for up to a few minutes with no danger.  Sweep the
-- phone's interval and the case's p_open to see what it takes to catch the
-- pass on time.

scenario {
  name = "Gangnam exit, Line 2 underground",
  start = "2026-03-03 07:30",
  duration = "90m",
  seed = 11,
  origin = station("2", "강남"),
}

local line2 = subway_line { name = "2",
  stations = { "잠실", "잠실새내", "종합운동장", "삼성", "선릉", "역삼", "강남", "교대" } }

local jamsil = station("2", "잠실")
local gangnam = station("2", "강남")
local home = place(jamsil.lat + 0.003, jamsil.lon + 0.002)
local work = place(37.4925, 127.0135)           -- near Gyodae

local v = victim {
  name = "victim", start = home,
  phone = { interval = "60s", moving_interval = "30s" },
  route = {
    wait "07:50",
    walk { to = jamsil },
    subway { line = line2, from = "잠실", to = "교대" },
    walk { to = work },
  },
}

local o = offender {
  name = "offender", start = place(gangnam.lat + 0.002, gangnam.lon + 0.001),
  tag = { interval = "5m", moving_interval = "60s" },
  route = { wait "20m" },
}

patrol { name = "Gangnam 1", base = place(37.5095, 127.0360) }
case { offender = o, victim = v }
dispatchers { count = 2, handling = "exp 3m" }

-- The train passes within 500 m of him for about two minutes, with no GNSS.
-- At most one alarm, late: true if it comes before the train has gone, false
-- after; a false one is the cell fallback's or the tunnel exit's, nothing else.
expect {
  true_breaches = 1,
  alert_episodes = {max = 1},
  false_noise_jump = 0,
  false_urban_canyon = 0,
  false_device_fault = 0,
  false_other = 0,
  exposure_max = "5m",                 -- "up to a few minutes"
  signal_lost = {min = 1},             -- her phone rides 8 min without GNSS
  unauthorized_disclosures = 0,
}
